"""What a rule's expression needs found, in which fields, and what rules it out wherever
it is found: the matcher judges only rules whose items meet these."""

from __future__ import annotations

from monitor.rules.expression import (
    ALL_FIELDS,
    FIELD_BITS,
    AllOf,
    AnyOf,
    GroupRef,
    Near,
    NoneOf,
    Scoped,
)

TITLE, LEAD, BODY = FIELD_BITS.values()
a, b, c = GroupRef(0, "a"), GroupRef(1, "b"), GroupRef(2, "c")


def test_a_none_rules_its_groups_out_only_where_nothing_but_all_stands_above_it() -> None:
    assert AllOf([a, NoneOf([b])]).forbidden_groups() == {1}
    assert AllOf([a, AllOf([NoneOf([b, AllOf([c])])])]).forbidden_groups() == {1}
    assert NoneOf([c]).forbidden_groups() == {2}
    assert AnyOf([a, NoneOf([b])]).forbidden_groups() == set()  # `a` alone holds it
    assert Scoped(AllOf([a, NoneOf([b])]), TITLE).forbidden_groups() == set()  # b in the body
    assert Near([a, AllOf([c, NoneOf([b])])]).forbidden_groups() == set()
    assert AllOf([NoneOf([Near([a, b])])]).forbidden_groups() == set()


def test_required_groups_carry_the_fields_they_must_be_found_in() -> None:
    scoped = Scoped(AllOf([a, AnyOf([b, c])]), TITLE | LEAD)
    assert scoped.required_fields(ALL_FIELDS) == {0: TITLE | LEAD}
    assert AllOf([Scoped(a, TITLE), a]).required_fields(ALL_FIELDS) == {0: ALL_FIELDS}
    assert AllOf([Scoped(a, TITLE), Scoped(a, BODY)]).required_fields(ALL_FIELDS) == {
        0: TITLE | BODY
    }
    either = AnyOf([AllOf([a, b]), Scoped(AllOf([a, c]), TITLE)])
    assert either.required_fields(ALL_FIELDS) == {0: ALL_FIELDS}
    assert AnyOf([a, b], at_least=2).required_fields(ALL_FIELDS) == {0: ALL_FIELDS, 1: ALL_FIELDS}
    assert AllOf([a, NoneOf([b])]).required_fields(ALL_FIELDS) == {0: ALL_FIELDS}
    assert scoped.required_groups() == {0}


def test_positive_groups_carry_their_fields_and_how_many_must_be_found() -> None:
    some = Scoped(AnyOf([a, b, c], at_least=2), LEAD)
    assert some.positive_fields(ALL_FIELDS) == {0: LEAD, 1: LEAD, 2: LEAD}
    assert AnyOf([a, b, c], at_least=2).least_positive() == 2
    assert AnyOf([a, GroupRef(0, "a")], at_least=2).least_positive() == 1  # one group twice
    assert AnyOf([a, AllOf([b, c])], at_least=2).least_positive() == 1
    assert AllOf([AnyOf([a, b, c], at_least=2)]).least_positive() == 1
    assert AllOf([a, NoneOf([b])]).positive_fields(ALL_FIELDS) == {0: ALL_FIELDS}
