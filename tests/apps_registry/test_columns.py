"""The changelist's columns come from one declaration (apps_registry.columns): each heading has
its cell in every row, in the same order, hidden below the same width; each sortable one sorts."""

import re

import pytest

from apps_registry.columns import COLUMNS
from tests.factories import AppFactory
from tests.helpers import list_url, text


def classes(cells: list[str]) -> list[list[str]]:
    return [re.search(r'class="([^"]*)"', cell).group(1).split() for cell in cells]


def test_every_heading_has_its_cell_in_each_row_shown_from_the_same_width(demo, client):
    AppFactory.create_batch(2, owner=demo["user"])
    client.force_login(demo["user"])
    html = text(client.get(list_url(demo["user"])))

    head = re.findall(r"<th scope=\"col\"[^>]*>", html.split("<thead>")[1].split("</thead>")[0])
    rows = (
        html.split('<tbody id="changelist-rows" tabindex="-1">')[1].split("</tbody>")[0].split("</tr>")[:-1]
    )
    assert len(rows) == 2
    for row in rows:
        cells = re.findall(r"<td [^>]*>", row)
        assert len(cells) == len(head) == len(COLUMNS) + 1  # and the selection box
        for heading, cell in zip(classes(head), classes(cells), strict=True):
            assert heading[0] == cell[0]  # col-<key>
            assert {c for c in heading if c.startswith("d-")} == {c for c in cell if c.startswith("d-")}
    assert [h[0] for h in classes(head)[1:]] == [f"col-{column.key}" for column in COLUMNS]


@pytest.mark.parametrize("column", [c for c in COLUMNS if c.order_by], ids=lambda c: c.key)
def test_each_sortable_column_sorts_both_ways(demo, client, column):
    AppFactory.create_batch(3, owner=demo["user"])
    client.force_login(demo["user"])
    for order in (column.key, f"-{column.key}"):
        response = client.get(list_url(demo["user"]) + f"&o={order}")
        assert response.status_code == 200
        assert response.context["order"] == order
        assert f'id="sort-{column.key}"' in text(response)
