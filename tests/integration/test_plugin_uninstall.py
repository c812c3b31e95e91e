"""`community-plus plugins uninstall <module>`: the module's `module_uninstalled` hook runs, then
its collections, every region's settings of it and its migrated version are deleted; other
modules' data stays. It asks first (or takes --yes) and names what it deletes."""

from __future__ import annotations

from click.testing import CliRunner
from pymongo import MongoClient

from community_plus.cli import main


def test_uninstall_deletes_only_that_modules_data_after_its_hook(db_uri, tmp_path, monkeypatch):
    monkeypatch.setenv("MONGODB_URI", db_uri)
    monkeypatch.setenv("CP_DATA_DIR", str(tmp_path))
    client = MongoClient(db_uri)
    db = client.get_default_database()
    try:
        db["test_wishes__wishes"].insert_many([{"_id": "w1", "communityId": "c1", "text": "一个心愿"},
                                               {"_id": "w2", "communityId": "c2", "text": "另一个"}])
        db["test_notices__notices"].insert_one({"_id": "n1", "communityId": "c1"})
        db["module_settings"].insert_many([
            {"_id": "c1:test_wishes", "regionId": "c1", "module": "test_wishes", "enabled": True},
            {"_id": "c1:test_notices", "regionId": "c1", "module": "test_notices", "enabled": True}])
        db["module_versions"].insert_one({"_id": "test_wishes", "version": "0.2.0"})

        asked = CliRunner().invoke(main, ["plugins", "uninstall", "test_wishes"], input="n\n")
        assert asked.exit_code == 1, asked.output  # declined: nothing deleted
        assert "test_wishes__wishes (2 rows)" in asked.output
        assert db["test_wishes__wishes"].count_documents({}) == 2

        done = CliRunner().invoke(main, ["plugins", "uninstall", "test_wishes", "--yes"])
        assert done.exit_code == 0, done.output
        assert "wishes of test_wishes cleaned up" in done.output  # what the module's hook said
        assert "pip uninstall cp-test-wishes" in done.output
        assert "test_wishes__wishes" not in db.list_collection_names()
        assert [d["module"] for d in db["module_settings"].find()] == ["test_notices"]
        assert db["module_versions"].count_documents({"_id": "test_wishes"}) == 0
        assert db["test_notices__notices"].count_documents({}) == 1

        unknown = CliRunner().invoke(main, ["plugins", "uninstall", "no_such_module", "--yes"])
        assert unknown.exit_code == 2 and "installed: " in unknown.output and "test_wishes" in unknown.output
    finally:
        client.close()
