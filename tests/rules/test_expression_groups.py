"""What a rule's expression needs found, in which fields, and what rules it out wherever
it is found: the matcher judges only rules whose items meet these."""

from __future__ import annotations

from monitor.rules import expression as ex
from monitor.rules.expression import ALL_FIELDS, FIELD_BITS, GroupRef

TITLE, LEAD, BODY = FIELD_BITS.values()
a, b, c = GroupRef(0, "a"), GroupRef(1, "b"), GroupRef(2, "c")


def test_a_none_rules_its_groups_out_only_where_nothing_but_all_stands_above_it() -> None:
    assert ex.AllOf([a, ex.NoneOf([b])]).forbidden_groups() == {1}
    assert ex.AllOf([a, ex.AllOf([ex.NoneOf([b, ex.AllOf([c])])])]).forbidden_groups() == {1}
    assert ex.NoneOf([c]).forbidden_groups() == {2}
    assert ex.AnyOf([a, ex.NoneOf([b])]).forbidden_groups() == set()  # `a` alone holds it
    in_title = ex.Scoped(ex.AllOf([a, ex.NoneOf([b])]), TITLE)
    assert in_title.forbidden_groups() == set()  # b may stand in the body
    assert ex.Near([a, ex.AllOf([c, ex.NoneOf([b])])]).forbidden_groups() == set()
    assert ex.AllOf([ex.NoneOf([ex.Near([a, b])])]).forbidden_groups() == set()


def test_required_groups_carry_the_fields_they_must_be_found_in() -> None:
    scoped = ex.Scoped(ex.AllOf([a, ex.AnyOf([b, c])]), TITLE | LEAD)
    assert scoped.required_fields(ALL_FIELDS) == {0: TITLE | LEAD}
    assert ex.AllOf([ex.Scoped(a, TITLE), a]).required_fields(ALL_FIELDS) == {0: ALL_FIELDS}
    assert ex.AllOf([ex.Scoped(a, TITLE), ex.Scoped(a, BODY)]).required_fields(ALL_FIELDS) == {
        0: TITLE | BODY
    }
    either = ex.AnyOf([ex.AllOf([a, b]), ex.Scoped(ex.AllOf([a, c]), TITLE)])
    assert either.required_fields(ALL_FIELDS) == {0: ALL_FIELDS}
    both = ex.AnyOf([a, b], at_least=2)
    assert both.required_fields(ALL_FIELDS) == {0: ALL_FIELDS, 1: ALL_FIELDS}
    assert ex.AllOf([a, ex.NoneOf([b])]).required_fields(ALL_FIELDS) == {0: ALL_FIELDS}
    assert scoped.required_groups() == {0}


def test_positive_groups_carry_their_fields_and_how_many_must_be_found() -> None:
    some = ex.Scoped(ex.AnyOf([a, b, c], at_least=2), LEAD)
    assert some.positive_fields(ALL_FIELDS) == {0: LEAD, 1: LEAD, 2: LEAD}
    assert ex.AnyOf([a, b, c], at_least=2).least_positive() == 2
    assert ex.AnyOf([a, GroupRef(0, "a")], at_least=2).least_positive() == 1  # one group twice
    assert ex.AnyOf([a, ex.AllOf([b, c])], at_least=2).least_positive() == 1
    assert ex.AllOf([ex.AnyOf([a, b, c], at_least=2)]).least_positive() == 1
    assert ex.AllOf([a, ex.NoneOf([b])]).positive_fields(ALL_FIELDS) == {0: ALL_FIELDS}
