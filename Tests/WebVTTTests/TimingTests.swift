import Testing
import WebVTT

@Suite("Timing operations")
struct TimingTests {
    static let file = """
    WEBVTT

    1
    00:00:01.000 --> 00:00:02.000
    one

    2
    00:00:05.000 --> 00:00:06.000
    two <00:00:05.500>karaoke

    3
    00:00:10.000 --> 00:00:12.000
    three

    """

    var doc: WebVTTDocument { WebVTTParser.parse(Self.file).document }

    func times(_ d: WebVTTDocument) -> [[Int64]] { d.cues.map { [$0.startMs, $0.endMs] } }

    @Test("shift all cues, timestamp tags move too")
    func shiftAll() {
        let d = Timing.shift(doc, byMs: 1500)
        #expect(times(d) == [[2500, 3500], [6500, 7500], [11500, 13500]])
        #expect(d.cues[1].text == "two <00:00:07.000>karaoke")
        #expect(WebVTTSerializer.serialize(d).contains("00:00:02.500 --> 00:00:03.500"))
    }

    @Test("shift clamps at zero, drops the cues that vanish, and keeps order")
    func shiftClamp() {
        let d = Timing.shift(doc, byMs: -5500)
        #expect(times(d) == [[0, 500], [4500, 6500]])
        #expect(d.cues.map(\.id) == ["2", "3"])
        let r = Timing.shiftReporting(doc, byMs: -5500)
        #expect(r.clamped == 1)
        #expect(r.dropped == [Timing.DroppedCue(number: 1, id: "1", startMs: 1000, endMs: 2000)])
    }

    @Test("shift a time range or a cue range")
    func shiftPartial() {
        let r = Timing.shift(doc, byMs: 100, range: TimeRange(startMs: 4000, endMs: 10_000))
        #expect(times(r) == [[1000, 2000], [5100, 6100], [10_000, 12_000]])
        let c = Timing.shift(doc, byMs: -100, cues: 1...5)
        #expect(times(c) == [[1000, 2000], [4900, 5900], [9900, 11_900]])
        // untouched cues keep their bytes
        let out = WebVTTSerializer.serialize(r)
        #expect(out.hasPrefix("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\none\n"))
    }

    @Test("scale and frame-rate conversion")
    func scale() throws {
        let d = try Timing.scale(doc, factor: 2)
        #expect(times(d) == [[2000, 4000], [10_000, 12_000], [20_000, 24_000]])
        #expect(throws: TimingError.self) { try Timing.scale(doc, factor: 0) }
        #expect(throws: TimingError.self) { try Timing.scale(doc, factor: .nan) }
        // 25 fps timings to 23.976 (24000/1001): multiply by 25 * 1001 / 24000
        let f = try Timing.convertFPS(doc, from: 25, to: 23.976)
        #expect(f.cues[2].startMs == 10_427) // 10000 * 1.04270833 = 10427.08
        let back = try Timing.convertFPS(f, from: 23.976, to: 25)
        #expect(back.cues[2].startMs == 10_000)
        #expect(throws: TimingError.self) { try Timing.convertFPS(doc, from: 0, to: 25) }
    }

    @Test("sync with one anchor is a shift")
    func syncOne() throws {
        let d = try Timing.sync(doc, anchors: [(from: 1000, to: 3000)])
        #expect(times(d) == [[3000, 4000], [7000, 8000], [12_000, 14_000]])
    }

    @Test("sync piecewise linear, slope 1 outside by default")
    func syncPiecewise() throws {
        // 5s stays 5s, 10s becomes 20s: between them the slope is 3; after 10s, offset +10s.
        let anchors = [SyncAnchor(fromMs: 5000, toMs: 5000), SyncAnchor(fromMs: 10_000, toMs: 20_000)]
        let d = try Timing.sync(doc, anchors: anchors)
        #expect(times(d) == [[1000, 2000], [5000, 8000], [20_000, 22_000]])
        let seg = try Timing.sync(doc, anchors: anchors, extrapolation: .nearestSegment)
        #expect(times(seg) == [[0, 0], [5000, 8000], [20_000, 26_000]])
    }

    @Test("sync fixes an ad break: everything after the break moves, before it stays")
    func syncAdBreak() throws {
        let anchors = [SyncAnchor(fromMs: 2000, toMs: 2000), SyncAnchor(fromMs: 5000, toMs: 35_000)]
        let d = try Timing.sync(doc, anchors: anchors)
        #expect(d.cues[0].startMs == 1000)
        #expect(d.cues[1].startMs == 35_000)
        #expect(d.cues[2].startMs == 40_000)
    }

    @Test("sync validates anchors")
    func syncErrors() {
        #expect(throws: TimingError.noAnchors) { try Timing.sync(doc, anchors: [SyncAnchor]()) }
        #expect(throws: TimingError.duplicateAnchor(fromMs: 1000)) {
            try Timing.sync(doc, anchors: [(from: 1000, to: 1000), (from: 1000, to: 2000)])
        }
        #expect(throws: TimingError.anchorsOutOfOrder(fromMs: 2000)) {
            try Timing.sync(doc, anchors: [(from: 1000, to: 5000), (from: 2000, to: 4000)])
        }
    }

    @Test("merge sorts cues by start, stable")
    func merge() {
        let a = WebVTTParser.parse("WEBVTT\n\nREGION\nid:r\n\n00:02.000 --> 00:03.000\na2\n\n00:05.000 --> 00:06.000\na5\n").document
        let b = WebVTTParser.parse("WEBVTT\n\nREGION\nid:r\n\n00:01.000 --> 00:02.000\nb1\n\n00:02.000 --> 00:04.000\nb2\n").document
        let m = mergeDocuments([a, b])
        #expect(m.cues.map(\.text) == ["b1", "a2", "b2", "a5"])
        #expect(m.regions.count == 1)
        let out = WebVTTSerializer.serialize(m)
        #expect(WebVTTParser.parse(out).document.cues.map(\.text) == ["b1", "a2", "b2", "a5"])
        #expect(mergeDocuments([]).cues.isEmpty)
    }
}
