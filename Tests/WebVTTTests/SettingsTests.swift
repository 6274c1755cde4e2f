import Testing
import WebVTT

/// "parse the WebVTT cue settings" and "collect WebVTT region settings", rule by rule.
@Suite("Cue settings")
struct CueSettingsTests {
    func settings(_ s: String, regions: String = "") -> CueSettings {
        let file = "WEBVTT\n\n\(regions)00:01.000 --> 00:02.000 \(s)\nx\n"
        return WebVTTParser.parse(file).document.cues.first?.settings ?? CueSettings()
    }

    @Test("defaults")
    func defaults() {
        let s = settings("")
        #expect(s.vertical == .horizontal)
        #expect(s.line == nil)
        #expect(s.snapToLines)
        #expect(s.lineAlign == .start)
        #expect(s.position == nil)
        #expect(s.positionAlign == .auto)
        #expect(s.size == 100)
        #expect(s.align == .center)
        #expect(s.regionId == "")
    }

    @Test("vertical")
    func vertical() {
        #expect(settings("vertical:rl").vertical == .rl)
        #expect(settings("vertical:lr").vertical == .lr)
        #expect(settings("vertical:RL").vertical == .horizontal)
        #expect(settings("vertical:rl vertical:xx").vertical == .rl)
    }

    @Test("line: percentages, line numbers, alignment")
    func line() {
        let p = settings("line:10%")
        #expect(p.line == 10)
        #expect(!p.snapToLines)
        let n = settings("line:-1")
        #expect(n.line == -1)
        #expect(n.snapToLines)
        #expect(settings("line:0").line == 0)
        #expect(settings("line:2.5").line == 2.5)
        #expect(settings("line:33.25%").line == 33.25)
        #expect(settings("line:50%,center").lineAlign == .center)
        #expect(settings("line:50%,end").lineAlign == .end)
        #expect(settings("line:50%,start").lineAlign == .start)
        // invalid values leave line auto
        for bad in ["line:abc", "line:-", "line:1-", "line:--1", "line:1.2.3", "line:.5", "line:5.", "line:-.5",
                    "line:101%", "line:-1%", "line:50%,middle", "line:1e2", "line:+1", "line:%", "line:50%%"] {
            #expect(settings(bad).line == nil, "\(bad)")
        }
        // an invalid alignment drops the whole setting (line stays auto, alignment stays start)
        let s = settings("line:50%,middle")
        #expect(s.lineAlign == .start)
        #expect(s.snapToLines)
    }

    @Test("position")
    func position() {
        #expect(settings("position:10%").position == 10)
        #expect(settings("position:10%").positionAlign == .auto)
        #expect(settings("position:0%,line-left").positionAlign == .lineLeft)
        #expect(settings("position:100%,line-right").positionAlign == .lineRight)
        #expect(settings("position:50.5%,center").position == 50.5)
        for bad in ["position:10", "position:-1%", "position:101%", "position:10%,left", "position:x%", "position:10%%"] {
            #expect(settings(bad).position == nil, "\(bad)")
        }
    }

    @Test("size")
    func size() {
        #expect(settings("size:50%").size == 50)
        #expect(settings("size:0%").size == 0)
        #expect(settings("size:100.0%").size == 100)
        #expect(settings("size:50").size == 100)
        #expect(settings("size:150%").size == 100)
    }

    @Test("align")
    func align() {
        for a in ["start", "center", "end", "left", "right"] {
            #expect(settings("align:\(a)").align.rawValue == a)
        }
        #expect(settings("align:middle").align == .center)
        #expect(settings("align:START").align == .center)
    }

    @Test("tokens without a name:value form are skipped")
    func malformed() {
        let s = settings("align:start :x y: z line:0 align")
        #expect(s.align == .start)
        #expect(s.line == 0)
        #expect(settings("align:end\tline:5%").line == 5)
    }

    @Test("the last setting of a kind wins")
    func lastWins() {
        #expect(settings("align:start align:end").align == .end)
        #expect(settings("line:1 line:20%").line == 20)
    }

    @Test("region: must exist; line, size (not 100) and vertical drop the cue out of it")
    func regions() {
        let r = "REGION\nid:fred width:40%\n\n"
        #expect(settings("region:fred", regions: r).regionId == "fred")
        #expect(settings("region:nobody", regions: r).regionId == "")
        #expect(settings("region:fred line:0", regions: r).regionId == "")
        #expect(settings("region:fred size:50%", regions: r).regionId == "")
        #expect(settings("region:fred size:100%", regions: r).regionId == "fred")
        #expect(settings("region:fred vertical:rl", regions: r).regionId == "")
        #expect(settings("region:fred position:10% align:start", regions: r).regionId == "fred")
        // An invalid line value does not set the line, so the region stays.
        #expect(settings("region:fred line:abc", regions: r).regionId == "fred")
    }

    @Test("region lookup takes the last region with that id")
    func lastRegion() {
        let r = "REGION\nid:a width:10%\n\nREGION\nid:a width:20%\n\n"
        let doc = WebVTTParser.parse("WEBVTT\n\n\(r)00:01.000 --> 00:02.000 region:a\nx\n").document
        #expect(doc.regions.count == 2)
        #expect(doc.region(id: "a")?.width == 20)
        #expect(doc.cues[0].settings.regionId == "a")
    }

    @Test("setSettingsText re-parses")
    func setSettings() {
        var c = Cue(startMs: 0, endMs: 1000, text: "x", settings: "line:10% align:end")
        #expect(c.settings.line == 10)
        #expect(c.settings.align == .end)
        c.setSettingsText("  position:30%,line-left  ", regions: [])
        #expect(c.settingsText == "position:30%,line-left")
        #expect(c.settings.position == 30)
        #expect(c.settings.line == nil)
        var s = CueSettings()
        s.line = -2
        s.align = .start
        s.size = 80
        c.setSettings(s)
        #expect(c.settingsText == "line:-2 size:80% align:start")
    }
}

@Suite("Region settings")
struct RegionSettingsTests {
    func region(_ body: String) -> Region? {
        WebVTTParser.parse("WEBVTT\n\nREGION\n\(body)\n\n00:01.000 --> 00:02.000\nx\n").document.regions.first
    }

    @Test("defaults")
    func defaults() throws {
        let r = try #require(region("id:x"))
        #expect(r.id == "x")
        #expect(r.width == 100)
        #expect(r.lines == 3)
        #expect(r.regionAnchorX == 0)
        #expect(r.regionAnchorY == 100)
        #expect(r.viewportAnchorX == 0)
        #expect(r.viewportAnchorY == 100)
        #expect(r.scroll == .none)
    }

    @Test("all settings, over several lines")
    func all() throws {
        let r = try #require(region("id:fred width:40% lines:3\nregionanchor:0%,100% viewportanchor:10%,90%\nscroll:up"))
        #expect(r.id == "fred")
        #expect(r.width == 40)
        #expect(r.lines == 3)
        #expect(r.regionAnchorX == 0)
        #expect(r.regionAnchorY == 100)
        #expect(r.viewportAnchorX == 10)
        #expect(r.viewportAnchorY == 90)
        #expect(r.scroll == .up)
    }

    @Test("invalid values are ignored")
    func invalid() throws {
        let r = try #require(region("id:r width:140% lines:-1 lines:2x regionanchor:10% viewportanchor:10%,x scroll:down"))
        #expect(r.width == 100)
        #expect(r.lines == 3)
        #expect(r.regionAnchorX == 0)
        #expect(r.viewportAnchorY == 100)
        #expect(r.scroll == .none)
        #expect(try #require(region("lines:7")).lines == 7)
    }

    @Test("REGION after the first cue is ignored")
    func afterCue() {
        let doc = WebVTTParser.parse("WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\nREGION\nid:late\n").document
        #expect(doc.regions.isEmpty)
    }
}
