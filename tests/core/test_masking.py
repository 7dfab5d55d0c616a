import logging

from hypothesis import given
from hypothesis import strategies as st

from healthbank.core.logfilter import MaskNationalIdFilter
from healthbank.core.masking import mask_card_number, mask_email, mask_ids_in_text, mask_name, mask_national_id


def test_examples():
    assert mask_national_id("Z199999994") == "Z19999****"
    assert mask_name("甄家康") == "甄○康"
    assert mask_name("王明") == "王○"
    assert mask_name("歐陽娜娜") == "歐○○娜"
    assert mask_card_number("000012345678") == "********5678"


@given(st.text(min_size=3, max_size=8))
def test_masked_names_keep_length_and_hide_the_middle(name):
    name = name.strip()
    masked = mask_name(name)
    assert len(masked) == len(name)
    if len(name) >= 3:
        assert masked[0] == name[0] and masked[-1] == name[-1] and set(masked[1:-1]) == {"○"}


def test_ids_inside_text_are_masked():
    text = "lookup A123456789 failed; card 000012345678; again a123456789."
    out = mask_ids_in_text(text)
    assert "A123456789" not in out and "a123456789" not in out
    assert "A12345****" in out
    assert "000012345678" in out  # card numbers are not IDs


def test_log_filter_masks_ids_in_messages_and_arguments(caplog):
    logger = logging.getLogger("healthbank.test")
    logger.addFilter(MaskNationalIdFilter())
    with caplog.at_level(logging.INFO, logger="healthbank.test"):
        logger.info("person %s not found", "F131104093")
    assert "F131104093" not in caplog.text
    assert "F13110****" in caplog.text


def test_request_log_lines_are_masked(caplog):
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    logger = logging.getLogger("django.server")
    handler = logging.getLogger("django.server").handlers[0]
    record = logger.makeRecord(
        "django.server", logging.INFO, __file__, 1, '"GET /admin/?q=%s HTTP/1.1" 200', ("A123456789",), None
    )
    for f in handler.filters:
        f.filter(record)
    assert "A123456789" not in record.getMessage()


def test_percent_encoded_ids_are_masked():
    # The admin's result links carried the search as _changelist_filters=q%3D<ID>.
    for text in (
        "GET /admin/identity/person/?_changelist_filters=q%3DC212345678 HTTP/1.1",
        "GET /admin/?_changelist_filters=q%3dc212345678%26p%3D2",
        "GET /admin/?next=%2Fadmin%2F%3F_changelist_filters%3Dq%253DC212345678",
        "GET /admin/?q=%20C212345678",
    ):
        out = mask_ids_in_text(text)
        assert "212345678" not in out.lower(), text
        assert "C21234****" in out or "c21234****" in out


def test_the_log_filter_masks_ids_in_exception_messages_and_tracebacks():
    import io

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskNationalIdFilter())
    logger = logging.getLogger("healthbank.test.exceptions")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError("no person with ID F131104093")
        except ValueError:
            logger.exception("look-up failed")
        logger.error("with stack", stack_info=True, extra={})
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "look-up failed" in written and "Traceback" in written
    assert "F131104093" not in written and "F13110****" in written


def test_emails_are_masked_as_the_nhi_page_shows_them():
    assert mask_email("elaine.chen@nhi.gov.tw") == "ela*****@nhi.gov.tw"
    assert mask_email("ab@example.tw") == "a*****@example.tw"  # the length is not told either
    assert mask_email("not-an-address") == ""
