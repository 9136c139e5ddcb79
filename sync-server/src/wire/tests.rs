use super::*;
use automerge::transaction::Transactable as _;
use automerge::{AutoCommit, ROOT};

fn a_change(text: &str) -> Change {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "note", text).unwrap();
    doc.get_last_local_change().unwrap().clone()
}

#[test]
fn a_change_decodes_plain_or_deflated_and_a_wrong_checksum_is_refused() {
    let mut change = a_change(&"长".repeat(2000));
    let plain = change.raw_bytes().to_vec();
    assert_eq!(decode_change(&plain).unwrap().hash(), change.hash());
    let deflated = change.bytes().to_vec();
    assert_eq!(
        deflated[8], COMPRESSED_CHANGE_CHUNK,
        "big enough to deflate"
    );
    assert_eq!(decode_change(&deflated).unwrap().hash(), change.hash());
    for mut bad in [plain, deflated] {
        bad[5] ^= 1;
        assert_eq!(
            decode_change(&bad).unwrap_err(),
            malformed("the change's checksum is wrong")
        );
    }
}

#[test]
fn a_deflated_change_is_refused_once_it_inflates_past_the_limit() {
    // 64 MiB of zeros deflates to about 64 KB.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let mut deflated = Vec::new();
    let mut encoder = flate2::read::DeflateEncoder::new(&zeros[..], flate2::Compression::best());
    encoder.read_to_end(&mut deflated).unwrap();
    let mut chunk = MAGIC.to_vec();
    chunk.extend_from_slice(&[0, 0, 0, 0, COMPRESSED_CHANGE_CHUNK]);
    write_leb128(&mut chunk, deflated.len() as u64);
    chunk.extend_from_slice(&deflated);
    assert!(chunk.len() < 100 * 1024);
    assert_eq!(
        decode_change(&chunk).unwrap_err(),
        WireError::TooLarge {
            what: "a change",
            limit: MAX_CHANGE_BYTES
        }
    );
}

#[test]
fn a_document_chunk_is_not_a_change_but_reads_as_a_document_within_bounds() {
    let mut doc = AutoCommit::new();
    for i in 0..2000 {
        doc.put(ROOT, format!("k{i}"), "长".repeat(50)).unwrap();
    }
    let saved = doc.save();
    assert!(matches!(
        decode_change(&saved),
        Err(WireError::Malformed(m)) if m.contains("not a change")
    ));
    check_document_chunk(&saved, &mut Budget::request()).unwrap();
    check_document_chunk(&doc.save_nocompress(), &mut Budget::request()).unwrap();
    let mut cut = saved.clone();
    cut.truncate(saved.len() / 2);
    assert!(check_document_chunk(&cut, &mut Budget::request()).is_err());
}

/// Rebuilds a change chunk's header (length and checksum) around `data`.
fn chunk(data: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    let mut hashed = vec![CHANGE_CHUNK];
    write_leb128(&mut hashed, data.len() as u64);
    hashed.extend_from_slice(data);
    let hash = sha2::Sha256::digest(&hashed);
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&hash[..4]);
    out.extend_from_slice(&hashed);
    out
}

#[test]
fn a_change_that_runs_to_millions_of_operations_is_refused_before_automerge_reads_it() {
    // One put of null at the root: every column holds one row.
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "k", automerge::ScalarValue::Null).unwrap();
    let real = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    let header = chunk_header(&real).unwrap();
    assert_eq!(change_rows(&real[header.data.clone()]), Ok(1));
    // The same change with every column's one row repeated ten million times.
    let data = &real[header.data];
    let mut at = 0;
    let take = |at: &mut usize| {
        let (n, used) = leb128_u64(&data[*at..]).unwrap();
        *at += used;
        n
    };
    let deps = take(&mut at);
    at += deps as usize * 32;
    let actor = take(&mut at);
    at += actor as usize;
    take(&mut at);
    take(&mut at);
    at += leb128_i64(&data[at..]).unwrap().1;
    let message = take(&mut at);
    at += message as usize;
    let others = take(&mut at);
    assert_eq!(others, 0);
    let prefix = data[..at].to_vec();
    let n = take(&mut at);
    let columns: Vec<(u64, u64)> = (0..n).map(|_| (take(&mut at), take(&mut at))).collect();
    let mut bodies = vec![];
    for (spec, len) in &columns {
        let body = &data[at..at + *len as usize];
        at += *len as usize;
        let many = 10_000_000u64;
        let bomb = match spec & 7 {
            7 => body.to_vec(),
            4 => {
                let mut b = vec![];
                write_leb128(&mut b, many);
                b
            }
            _ => {
                // One value as a run: count, then the value (after the literal
                // run's count of -1, or a null run's 0 and 1).
                let (count, used) = leb128_i64(body).unwrap();
                let mut b = vec![];
                if count == 0 {
                    b.push(0);
                    write_leb128(&mut b, many);
                } else {
                    let mut sleb = vec![];
                    let mut v = many as i64;
                    loop {
                        let byte = (v & 0x7f) as u8;
                        v >>= 7;
                        if v == 0 && byte & 0x40 == 0 {
                            sleb.push(byte);
                            break;
                        }
                        sleb.push(byte | 0x80);
                    }
                    b.extend(sleb);
                    b.extend_from_slice(&body[used..]);
                }
                b
            }
        };
        bodies.push(bomb);
    }
    let mut bomb = prefix;
    write_leb128(&mut bomb, n);
    for ((spec, _), body) in columns.iter().zip(&bodies) {
        write_leb128(&mut bomb, *spec);
        write_leb128(&mut bomb, body.len() as u64);
    }
    for body in &bodies {
        bomb.extend_from_slice(body);
    }
    bomb.extend_from_slice(&data[at..]);
    let bomb = chunk(&bomb);
    assert!(bomb.len() < 200, "{} bytes", bomb.len());
    assert_eq!(
        decode_change(&bomb).unwrap_err(),
        WireError::TooManyOps {
            what: "a change",
            limit: MAX_CHANGE_OPS
        }
    );
}

#[test]
fn a_layout_that_does_not_read_or_a_long_actor_is_refused() {
    // deps 0, actor [1], seq 1, start op 1, time 0, no message, no other actors, and
    // one column Automerge does not know whose data does not read as its type.
    let data = |actor: &[u8], others: &[&[u8]], spec: u64, column: &[u8]| {
        let mut d = vec![0];
        write_leb128(&mut d, actor.len() as u64);
        d.extend_from_slice(actor);
        d.extend([1, 1, 0, 0]);
        write_leb128(&mut d, others.len() as u64);
        for o in others {
            write_leb128(&mut d, o.len() as u64);
            d.extend_from_slice(o);
        }
        d.push(1);
        write_leb128(&mut d, spec);
        write_leb128(&mut d, column.len() as u64);
        d.extend_from_slice(column);
        d
    };
    let unknown = 50 << 4 | 2;
    assert_eq!(change_rows(&data(&[1], &[], unknown, &[1, 5])), Ok(1));
    assert_eq!(
        change_rows(&data(&[1], &[], unknown, &[0x80])),
        Err(malformed("a change whose layout does not read"))
    );
    let long = [7u8; 33];
    for (actor, others) in [(&long[..], vec![]), (&[1u8][..], vec![&long[..]])] {
        assert_eq!(
            change_rows(&data(actor, &others, unknown, &[1, 5])),
            Err(malformed("an actor id is at most 32 bytes"))
        );
    }
}

#[test]
fn column_rows_are_counted_for_the_changes_the_app_writes() {
    let mut doc = AutoCommit::new();
    let list = doc
        .put_object(ROOT, "opinion:1", automerge::ObjType::Map)
        .unwrap();
    doc.put(&list, "content", "路口红绿灯时间太短").unwrap();
    doc.put(&list, "n", -5i64).unwrap();
    let cats = doc
        .put_object(&list, "categories", automerge::ObjType::List)
        .unwrap();
    for i in 0..300 {
        doc.insert(&cats, i, format!("c{i}")).unwrap();
    }
    doc.delete(&cats, 7).unwrap();
    doc.put(&list, "consent", true).unwrap();
    let change = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    let header = chunk_header(&change).unwrap();
    let rows = change_rows(&change[header.data]).unwrap();
    let decoded = decode_change(&change).unwrap();
    assert_eq!(rows, decoded.len() as u64);
}

/// Found by the `change_chunk` fuzz target: a change that panicked inside Automerge.
/// Refused (its layout does not read, so Automerge is never asked); and were it
/// asked, the panic is a refusal too.
#[test]
fn a_change_that_panics_inside_automerge_is_refused() {
    let input = include_bytes!("../../../fuzz/corpus/change_chunk/panic-opid-overflow");
    assert!(matches!(decode_change(input), Err(WireError::Malformed(_))));
    let header = chunk_header(input).unwrap();
    let read = unpanicked("a change", || Change::from_bytes(input.to_vec()));
    assert!(
        read.is_err() || read.is_ok_and(|r| r.is_err()),
        "{:?}",
        change_rows(&input[header.data])
    );
}

#[test]
fn ranges_parse_as_http_writes_them() {
    assert_eq!(byte_range(b"bytes=0-99"), Ok((0, 99)));
    assert_eq!(byte_range(b"bytes=100-"), Ok((100, u64::MAX)));
    for bad in [
        &b"bytes=9-1"[..],
        b"bytes=-5",
        b"items=0-1",
        b"bytes=a-b",
        b"\xff",
    ] {
        assert!(byte_range(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn leb128_reads_what_it_writes_and_refuses_overlong_numbers() {
    for n in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
        let mut buf = Vec::new();
        write_leb128(&mut buf, n);
        assert_eq!(leb128_u64(&buf), Some((n, buf.len())));
    }
    assert_eq!(leb128_u64(&[0xff; 11]), None);
    assert_eq!(leb128_u64(&[0x80]), None);
}
