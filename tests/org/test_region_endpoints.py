"""`/api/v1/regions`: search by name or code, children, the tree; a scoped caller sees only their regions."""

from __future__ import annotations

from tests.fixtures.api import Api


def test_search_by_name_code_parent_and_level(api: Api) -> None:
    headers = api.headers("agent")
    r = api.client.get("/api/v1/regions?q=西湖", headers=headers)
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "1"
    (west_lake,) = r.json()
    assert west_lake["code"] == "330106" and west_lake["href"] == "/api/v1/regions/330106"
    assert [p["name"] for p in west_lake["path"]] == ["浙江省", "杭州市"]
    assert west_lake["level"] == "district" and west_lake["label"] == "西湖区 · 浙江省 杭州市 · 330106"
    codes = lambda url: [d["code"] for d in api.client.get(url, headers=headers).json()]  # noqa: E731
    assert codes("/api/v1/regions?q=3301") == ["330100", "330106"]
    assert codes("/api/v1/regions?parent=330000") == ["330100", "330200"]
    assert codes("/api/v1/regions?level=city") == ["330100", "330200"]
    assert codes("/api/v1/regions?q=杭州市") == ["330100"]
    page = api.client.get("/api/v1/regions?limit=2&offset=1&fields=name", headers=headers)
    assert page.headers["X-Total-Count"] == "4" and page.headers["X-Result-Count"] == "2"
    assert page.json()[0] == {
        "id": "330100",
        "href": "/api/v1/regions/330100",
        "@type": "Region",
        "name": "杭州市",
    }


def test_one_region_and_the_tree(api: Api) -> None:
    headers = api.headers("dispatcher")
    one = api.client.get("/api/v1/regions/330100", headers=headers).json()
    assert one["name"] == "杭州市" and one["children"] == [
        {"code": "330106", "href": "/api/v1/regions/330106"}
    ]
    tree = api.client.get("/api/v1/regions/tree", headers=headers).json()
    assert tree == [
        {
            "code": "330000",
            "name": "浙江省",
            "level": "province",
            "children": [
                {
                    "code": "330100",
                    "name": "杭州市",
                    "level": "city",
                    "children": [{"code": "330106", "name": "西湖区", "level": "district"}],  # depth 3
                },
                {"code": "330200", "name": "宁波市", "level": "city", "children": []},
            ],
        }
    ]
    shallow = api.client.get("/api/v1/regions/tree?root=330100&depth=1", headers=headers).json()
    assert shallow == [{"code": "330100", "name": "杭州市", "level": "city"}]


def test_a_scoped_caller_sees_only_their_regions(api: Api) -> None:
    headers = api.headers("agent", ("330100",))
    listed = [d["code"] for d in api.client.get("/api/v1/regions", headers=headers).json()]
    assert listed == ["330100", "330106"]
    assert api.client.get("/api/v1/regions/330200", headers=headers).status_code == 404
    assert api.client.get("/api/v1/regions/330000", headers=headers).status_code == 404
    assert api.client.get("/api/v1/regions/tree?root=330200", headers=headers).status_code == 404
    tree = api.client.get("/api/v1/regions/tree", headers=headers).json()
    assert [n["code"] for n in tree] == ["330100"] and tree[0]["children"][0]["code"] == "330106"


def test_bad_requests_name_the_parameter(api: Api) -> None:
    headers = api.headers("agent")
    assert api.client.get("/api/v1/regions").status_code == 401
    r = api.client.get("/api/v1/regions?level=county", headers=headers)
    assert r.status_code == 400 and "level: expected one of province, city, district" in r.json()["message"]
    r = api.client.get("/api/v1/regions?name=西湖", headers=headers)
    assert r.status_code == 400 and "name: not a filter of regions" in r.json()["message"]
    assert api.client.get("/api/v1/regions/999999", headers=headers).status_code == 404
