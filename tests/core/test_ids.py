"""Public ids: version 7, time-ordered, never the same twice — across threads and across forked processes (the
bulk loader's workers are forks: each must draw its own randomness)."""

import os
import threading
import time
import uuid

from healthbank.core.ids import new_public_id, new_public_id_hex


def test_an_id_is_a_version_7_uuid_stamped_with_the_current_millisecond():
    before = time.time_ns() // 1_000_000
    made = new_public_id()
    after = time.time_ns() // 1_000_000
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after
    assert uuid.UUID(str(made)) == made and hash(made) == hash(uuid.UUID(str(made)))


def test_ids_never_repeat_and_sort_by_time():
    ids = [new_public_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert [i.int >> 80 for i in ids] == sorted(i.int >> 80 for i in ids)
    # the random part is random: its 74 bits are not a counter
    assert len({i.int & 0xFFFF for i in ids}) > 15_000


def test_threads_making_ids_at_once_never_make_the_same_one():
    made: list[list[uuid.UUID]] = [[] for _ in range(8)]

    def make(k: int) -> None:
        made[k].extend(new_public_id() for _ in range(5_000))

    threads = [threading.Thread(target=make, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for part in made for i in part]
    assert len(set(everything)) == 40_000


def test_a_forked_process_does_not_repeat_its_parents_ids():
    new_public_id()  # the parent has randomness drawn and not yet used when it forks
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        try:
            os.write(writing, b"".join(new_public_id().bytes for _ in range(100)))
        finally:
            os._exit(0)
    os.close(writing)
    data = b""
    while chunk := os.read(reading, 4096):
        data += chunk
    os.close(reading)
    os.waitpid(pid, 0)
    childs = {data[k : k + 16][6:] for k in range(0, len(data), 16)}  # the random bytes (after the time)
    parents = {new_public_id().bytes[6:] for _ in range(100)}
    assert len(childs) == 100
    assert not childs & parents


def test_an_id_as_text_is_the_same_kind_of_id():
    before = time.time_ns() // 1_000_000
    texts = [new_public_id_hex() for _ in range(5_000)]
    after = time.time_ns() // 1_000_000
    made = [uuid.UUID(hex=t) for t in texts]
    assert all(len(t) == 32 and t == m.hex for t, m in zip(texts, made, strict=True))
    assert all(m.version == 7 and m.variant == uuid.RFC_4122 for m in made)
    assert all(before <= m.int >> 80 <= after for m in made)
    assert len(set(made)) == len(made)
