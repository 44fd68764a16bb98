"""Fill and validity per identifier type and attribute, from fill counts and issues."""

from __future__ import annotations

from ingest.audit.fields import (
    IssueCounts,
    Lineage,
    field_qualities,
    guessed_lineage,
    issue_field,
    lineage,
)
from ingest.convert import RowConverter
from ingest.mapping import builtin_mapping, builtin_sources, parse_mapping

MAPPING = """
source: crm
format: csv
customers:
  file: members.csv
  key: id
  identifiers:
    - {field: E-mail, type: email}
    - {field: [Mobile, Phone], type: phone}
  attributes:
    name: {field: Name, kind: full_name}
    email: {field: E-mail, kind: email}
    dob: {field: Born, kind: date}
"""


def test_lineage_names_the_source_columns_as_issues_do() -> None:
    lin = lineage(parse_mapping(MAPPING, "test"))
    assert lin.identifiers == {"email": ("E-mail",), "phone": ("Mobile|Phone",)}
    assert lin.attributes == {
        "name": ("Name",),
        "given_name": ("Name",),
        "family_name": ("Name",),
        "email": ("E-mail",),
        "dob": ("Born",),
    }


def test_issue_fields_written_by_the_converter_are_in_the_lineage() -> None:
    m = parse_mapping(MAPPING, "test")
    row = {"id": "1", "E-mail": "bob@", "Mobile": "12", "Name": "1234", "Born": "31/02/1990"}
    record = RowConverter(m).customer(m.customers[0], row, "members.csv", 1)
    lin = lineage(m)
    fed = {f for fields in [*lin.identifiers.values(), *lin.attributes.values()] for f in fields}
    issues = {i.field for i in record.issues}  # type: ignore[union-attr]
    assert issues == {"E-mail", "Mobile|Phone", "Name", "Born"}
    assert issues <= fed


def test_every_builtin_mapping_has_a_lineage() -> None:
    for source in builtin_sources():
        lin = lineage(builtin_mapping(source))
        assert lin.identifiers, source
    pos = lineage(builtin_mapping("pos"))
    assert pos.attributes["given_name"] == ("name", "customer_name")
    assert pos.identifiers["loyalty_id"] == ("loyalty_number",)


def test_issue_field_joins_alternatives() -> None:
    assert issue_field("a.b") == "a.b"
    assert issue_field(["x", "y"]) == "x|y"


def test_fill_and_validity_from_counts() -> None:
    lin = Lineage(
        identifiers={"email": ("E-mail",), "phone": ("Mobile",)},
        attributes={"email": ("E-mail",), "dob": ("Born",)},
    )
    filled = {("identifier", "email"): 6, ("attribute", "email"): 6, ("attribute", "dob"): 4}
    issues = {
        "E-mail": IssueCounts(2, {"invalid_email_syntax": 2}),
        "Born": IssueCounts(1, {"unparseable_date": 1}),
        "Shoe": IssueCounts(3, {"invalid_number": 3}),
    }
    out = {(f.kind, f.name): f for f in field_qualities(10, filled, issues, lin)}
    email = out[("identifier", "email")]
    assert (email.valid, email.invalid, email.present) == (6, 2, 8)
    assert email.fill_rate == 0.8 and email.validity_rate == 0.75
    assert email.reasons == {"invalid_email_syntax": 2}
    phone = out[("identifier", "phone")]
    assert (phone.valid, phone.invalid, phone.fill_rate, phone.validity_rate) == (0, 0, 0, None)
    dob = out[("attribute", "dob")]
    assert dob.fill_rate == 0.5 and dob.validity_rate == 0.8
    shoe = out[("source_field", "Shoe")]
    assert shoe.valid is None and shoe.invalid == 3
    assert shoe.fill_rate is None and shoe.validity_rate is None
    assert [f.kind for f in out.values()] == [
        "identifier",
        "identifier",
        "attribute",
        "attribute",
        "source_field",
    ]


def test_invalid_is_bounded_by_the_records_without_a_valid_value() -> None:
    # Accumulated records can hold a valid value and an issue of an earlier row.
    lin = Lineage(identifiers={}, attributes={"phone": ("phone",)})
    (f,) = field_qualities(5, {("attribute", "phone"): 4}, {"phone": IssueCounts(3)}, lin)
    assert (f.invalid, f.present, f.fill_rate, f.validity_rate) == (1, 5, 1.0, 0.8)


def test_identifier_types_held_but_not_in_the_mapping_are_shown() -> None:
    lin = Lineage(identifiers={"email": ("email",)}, attributes={})
    out = field_qualities(4, {("identifier", "device"): 2}, {}, lin)
    assert [(f.name, f.valid) for f in out] == [("email", 0), ("device", 2)]


def test_without_a_mapping_issue_fields_named_like_attributes_are_theirs() -> None:
    filled = {("identifier", "email"): 3, ("attribute", "email"): 3, ("attribute", "city"): 1}
    lin = guessed_lineage(filled, {"email", "E-mail"})
    assert lin.identifiers == {"email": ("email",)}
    assert lin.attributes == {"city": (), "email": ("email",)}
    out = field_qualities(4, filled, {"email": IssueCounts(1), "E-mail": IssueCounts(2)}, None)
    assert [(f.kind, f.name, f.invalid) for f in out] == [
        ("identifier", "email", 1),
        ("attribute", "city", 0),
        ("attribute", "email", 1),
        ("source_field", "E-mail", 2),
    ]
