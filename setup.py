"""Map the top-level folders onto namespaced import packages.

`core/` installs as `community_plus` and `sandbox/` as `community_plus_sandbox`; generic
names such as `core` are never installed. `sdk/` (`community-plus-sdk`) and `sdk/harness/`
(`community-plus-harness`) are distributions of their own. Everything else lives in
pyproject.toml.
"""


from setuptools import find_namespace_packages, setup

FOLDERS = {
    "core": "community_plus",
    "sandbox": "community_plus_sandbox",
}

setup(
    packages=[
        name + sub
        for folder, name in FOLDERS.items()
        # namespace discovery: data folders (static/, templates/) are packages too, so setuptools
        # does not warn that they "would be ignored"
        for sub in ["", *("." + p for p in find_namespace_packages(folder, exclude=["*__pycache__*"]))]
    ],
    package_dir={name: folder for folder, name in FOLDERS.items()},
    package_data={"community_plus": ["static/**/*", "graphql/*.graphql", "devtools/templates/**/*"]},
)
