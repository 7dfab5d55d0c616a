import datetime as dt

import pytest

from healthbank.identity.card_proof import CardProof, CardProofError, issue_challenge, verify
from tests.accounts.conftest import read_card


def test_the_newest_card_answering_a_fresh_challenge_is_accepted(world):
    person = world.people[0]
    card = verify(read_card(person.cards[-1].card_number, "register"), "register")
    assert card.card_number == person.cards[-1].card_number


def test_a_challenge_answers_once(world):
    proof = read_card(world.people[0].cards[-1].card_number, "register")
    verify(proof, "register")
    with pytest.raises(CardProofError) as info:
        verify(proof, "register")
    assert info.value.code == "stale_challenge"


def test_a_stale_challenge_is_refused(world, time_machine):
    proof = read_card(world.people[0].cards[-1].card_number, "register")
    time_machine.shift(dt.timedelta(minutes=3))
    with pytest.raises(CardProofError) as info:
        verify(proof, "register")
    assert info.value.code == "stale_challenge"


def test_a_challenge_issued_for_another_purpose_is_refused(world):
    proof = read_card(world.people[0].cards[-1].card_number, "login")
    with pytest.raises(CardProofError):
        verify(proof, "register")


def test_a_replaced_card_is_refused(world):
    person = next(p for p in world.people if len(p.cards) > 1)
    with pytest.raises(CardProofError) as info:
        verify(read_card(person.cards[0].card_number, "register"), "register")
    assert info.value.code == "replaced_card"


def test_a_forged_signature_is_refused(world):
    proof = read_card(world.people[0].cards[-1].card_number, "register")
    other = read_card(world.people[1].cards[-1].card_number, "register")
    forged = CardProof(proof.challenge, proof.card_number, proof.national_id, other.signature)
    with pytest.raises(CardProofError) as info:
        verify(forged, "register")
    assert info.value.code == "bad_signature"


def test_someone_elses_id_with_my_card_is_refused(world):
    proof = read_card(world.people[0].cards[-1].card_number, "register")
    wrong = CardProof(issue_challenge("register"), proof.card_number, world.people[1].national_id, proof.signature)
    with pytest.raises(CardProofError) as info:
        verify(wrong, "register")
    assert info.value.code == "unknown_card"
