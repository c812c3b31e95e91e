"""Community+ SDK: what plugin authors import (hook markers, declarative models, context,
pytest harness). Plugins depend on this package only, never on `community_plus` internals."""

__version__ = "0.1.0"
