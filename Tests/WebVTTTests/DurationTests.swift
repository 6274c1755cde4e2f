import Testing
import WebVTT

/// The one duration rule (`Timestamp.parseDuration`), used by lint settings and by every
/// command-line duration option. Two parsers used to disagree on the comma and on fields >= 60.
@Suite struct DurationTests {
    @Test("accepted forms", arguments: [
        ("1.5s", 1500), ("-250ms", -250), ("+2m", 120_000), ("1h30m", 5_400_000), ("2m3.5s", 123_500), ("90", 90_000),
        ("1m30", 90_000), ("0.5", 500), ("  3s ", 3000), ("1hr2mins", 3_720_000),
        ("00:01:02.500", 62_500), ("01:02.5", 62_500), ("-00:00:01.000", -1000), ("-1:02.5", -62_500),
        // SRT's comma before the milliseconds
        ("01:02,500", 62_500), ("00:00:01,250", 1250),
        // the first field may be any size; the others are at most 59
        ("90:00", 5_400_000), ("100:59:59.999", 363_599_999), ("0:59.999", 59_999),
    ] as [(String, Int64)])
    func accepted(_ text: String, _ ms: Int64) {
        #expect(Timestamp.parseDuration(text) == ms, "\(text)")
    }

    @Test("refused forms", arguments: [
        "", " ", "-", "s", "abc", "1.5 parsecs", "1e3", "1e3s", "1..5s", "1m30x", "30 s",
        // fields after the first are minutes or seconds (WebVTT: at most 59)
        "00:61:00", "1:75", "01:60.000", "0:60",
        // only the last field has a fraction; no empty fields, no more than three
        "1.5:00", "1:2.5:00", "1::02", ":30", "1:", "1:2:3:4",
        // no inf, nan, or signs inside
        "1:inf", "nan:00", "1:-5", "inf", "1:0x10",
    ])
    func refused(_ text: String) {
        #expect(Timestamp.parseDuration(text) == nil, "\(text)")
    }
}
