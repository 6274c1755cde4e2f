import Foundation
import Testing
import OlleeyHTTP
import OlleeyKit
import OlleeyServer
import OlleeyTestSupport

/// Part C over HTTP on 127.0.0.1: VTT and its versions, adjust-timing, language QC, glossaries,
/// files, downloads and the signed-link route. Jobs are made through OlleeyKit (JobStore,
/// TrackStore) with real files under the workspace's outputs.
@Suite struct ReviewRoutesTests {
    static let sourceVTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nHello there.\n\n2\n00:00:04.000 --> 00:00:06.000\nGoodbye.\n"
    static let spanishVTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nHola.\n\n2\n00:00:04.000 --> 00:00:06.000\nAdiós.\n"

    /// A server; users of every role in `default` and an ADMIN of `beta`; one job of `default`
    /// (en -> es, fr) with tracks, es waiting for approval, and its output files on disk.
    final class Fixture: @unchecked Sendable {
        let s: AppServer
        var job: Job
        var tokens: [String: String] = [:]
        let mp4Bytes: [UInt8] = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }

        init() throws {
            s = try AppServer()
            for (name, role) in [("admin", Role.admin), ("reviewer", .reviewer), ("ling", .linguist), ("ling2", .linguist), ("client", .client), ("pm", .pm)] {
                try s.user("\(name)@example.com", role)
            }
            let beta = try s.org("beta")
            try s.user("other@example.com", .admin, org: beta.id)
            let now = Clock.nowISO()
            job = Job(id: ID.uuid7(), source: "/v/talk.mp4", sourceName: "talk.mp4", sourceLang: "en", videoId: nil, status: .waitingApproval, stage: nil,
                      options: JobOptions(targetLanguages: ["es", "fr"]), projectId: nil, channelId: nil, error: nil, errorStage: nil,
                      paused: false, cancelRequested: false, createdAt: now, updatedAt: now, startedAt: nil, completedAt: nil)
            try JobStore(s.db).insert(job)
            let tracks = TrackStore(s.db)
            try tracks.add(job: job.id, language: "en", kind: .source, content: ReviewRoutesTests.sourceVTT, author: "olleey/test-transcriber", message: "transcribed")
            try tracks.add(job: job.id, language: "es", kind: .translation, content: ReviewRoutesTests.spanishVTT, author: "olleey/test-translator", message: "translated")
            try tracks.add(job: job.id, language: "fr", kind: .translation, content: ReviewRoutesTests.spanishVTT, author: "olleey/test-translator", message: "translated")
            try JobStore(s.db).setLanguage(job.id, "es", status: .waitingApproval)
            // the deliverables, as the assemble stage lays them out
            let stem = OutputLayout.languageStem(outputsDir: s.ws.outputsDir, job: job, language: "es")
            try FileManager.default.createDirectory(atPath: Paths.parent(stem), withIntermediateDirectories: true)
            try Data(mp4Bytes).write(to: URL(fileURLWithPath: stem + ".mp4"))
            try Data(ReviewRoutesTests.spanishVTT.utf8).write(to: URL(fileURLWithPath: stem + ".vtt"))
            try Data(mp4Bytes.prefix(100)).write(to: URL(fileURLWithPath: OutputLayout.master(outputsDir: s.ws.outputsDir, job: job)))
            let rel = { (p: String) in Paths.relative(p, to: self.s.ws.root) }
            try JobStore(s.db).setLanguageResult(job.id, "es", outputs: .object([("mp4", .string(rel(stem + ".mp4"))), ("vtt", .string(rel(stem + ".vtt")))]),
                                                 fitReport: nil, renderKey: "k")
            for name in ["admin", "reviewer", "ling", "ling2", "client", "pm", "other"] {
                let r = try s.request("POST", "/auth/login", json: loginJSON("\(name)@example.com"))
                tokens[name] = r.json["access_token"] as? String
            }
        }

        func call(_ method: String, _ path: String, as who: String?, json: String? = nil, contentType: String = "application/json",
                  headers: [(String, String)] = []) throws -> Reply {
            try s.request(method, path, json: json, headers: (who.map { bearer(tokens[$0]) } ?? []) + headers, contentType: contentType)
        }

        /// The path and query of an absolute URL of this server.
        func local(_ url: String) throws -> String {
            let prefix = "http://127.0.0.1"
            #expect(url.hasPrefix(prefix), "absolute URL: \(url)")
            let rest = url.dropFirst(prefix.count)
            return String(rest.drop { $0 != "/" })
        }

        func assign(_ lang: String, to who: String) throws {
            let r = try call("POST", "/api/v1/jobs/\(job.id)/language-qc/\(lang)/assign", as: "pm", json: #"{"linguist_id":"\#(who)@example.com"}"#)
            #expect(r.status == 200, "\(r.text)")
        }
    }

    // MARK: VTT

    @Test("the VTT routes take ?kind=descriptions: a language's audio-description script read, replaced, listed, diffed and restored apart from its subtitles; an unknown kind is 400")
    func vttDescriptionsKind() throws {
        let f = try Fixture()
        let base = "/api/v1/jobs/\(f.job.id)"
        #expect(try f.call("GET", base + "/vtt/es?kind=descriptions", as: "admin").status == 404)  // no script yet
        let v1 = "WEBVTT\n\nd1\n00:00:03.100 --> 00:00:03.900\nUn río.\n"
        let v2 = "WEBVTT\n\nd1\n00:00:03.200 --> 00:00:03.900\nUn río &amp; un puente.\n"
        #expect(try f.call("PATCH", base + "/vtt/es?kind=descriptions", as: "reviewer", json: v1, contentType: "text/vtt").json["version"] as? Int == 1)
        let p2 = try f.call("PATCH", base + "/vtt/es?kind=descriptions", as: "reviewer", json: v2, contentType: "text/vtt")
        #expect(p2.status == 200 && p2.json["version"] as? Int == 2, "\(p2.text)")
        let got = try f.call("GET", base + "/vtt/es?kind=descriptions", as: "admin")
        #expect(got.text == v2 && got.header("X-VTT-Version") == "2")
        // the subtitles are untouched
        let subs = try f.call("GET", base + "/vtt/es", as: "admin")
        #expect(subs.text == ReviewRoutesTests.spanishVTT && subs.header("X-VTT-Version") == "1")
        let hist = try f.call("GET", base + "/vtt-versions/es?kind=descriptions", as: "admin")
        #expect((hist.json["versions"] as? [[String: Any]])?.count == 2 && hist.json["current_version"] as? Int == 2, "\(hist.text)")
        #expect((try f.call("GET", base + "/vtt-versions/es", as: "admin").json["versions"] as? [[String: Any]])?.count == 1)
        let diff = try f.call("GET", base + "/vtt-versions/es/diff?kind=descriptions", as: "admin")
        #expect(diff.status == 200 && diff.json["from"] as? Int == 1 && diff.json["to"] as? Int == 2 && (diff.json["diff"] as? [String: Any])?["identical"] as? Bool == false, "\(diff.text)")
        #expect(try f.call("GET", base + "/vtt-versions/es/1?kind=descriptions", as: "admin").json["content"] as? String == v1)
        let restored = try f.call("POST", base + "/vtt-versions/es/1/restore?kind=descriptions", as: "reviewer", json: "{}")
        #expect(restored.status == 201 && restored.json["version"] as? Int == 3, "\(restored.text)")
        #expect(try f.call("GET", base + "/vtt/es?kind=descriptions", as: "admin").text == v1)
        #expect(try f.call("GET", base + "/vtt-versions/es/9?kind=descriptions", as: "admin").status == 404)
        let bad = try f.call("GET", base + "/vtt/es?kind=captionz", as: "admin")
        #expect(bad.status == 400 && bad.text.contains("descriptions"), "\(bad.text)")
    }

    @Test("GET and PATCH the VTT: text/vtt, a person's edit kept byte for byte as a new version, strict parse with line numbers, 401/403/404")
    func vttReadAndPatch() throws {
        let f = try Fixture()
        let path = "/api/v1/jobs/\(f.job.id)/vtt/es"
        let r = try f.call("GET", path, as: "admin")
        #expect(r.status == 200 && r.text == ReviewRoutesTests.spanishVTT)
        #expect(r.header("Content-Type")?.hasPrefix("text/vtt") == true && r.header("X-VTT-Version") == "1")
        // a person's whole VTT with markup and non-ASCII characters
        let edited = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\n<i>¡Hola</i> &amp; <v Ana>café</v>\n\n2\n00:00:04.000 --> 00:00:06.000 line:90%\nAdiós.\n"
        let p = try f.call("PATCH", path, as: "reviewer", json: edited, contentType: "text/vtt")
        #expect(p.status == 200, "\(p.text)")
        #expect(p.json["version"] as? Int == 2 && p.json["version_id"] as? String == "2" && p.json["cues"] as? Int == 2)
        #expect(p.json["job_id"] as? String == f.job.id && p.json["language"] as? String == "es")
        let back = try f.call("GET", path, as: "admin")
        #expect(back.text == edited && back.header("X-VTT-Version") == "2")
        // the same through JSON; an identical text adds no version
        let same = try f.call("PATCH", path, as: "admin", json: String(data: try JSONSerialization.data(withJSONObject: ["content": edited]), encoding: .utf8))
        #expect(same.status == 200 && same.json["version"] as? Int == 2)
        // the edited cue is the person's, the other keeps the engine
        let hist = try f.call("GET", "/api/v1/jobs/\(f.job.id)/vtt-versions/es", as: "admin")
        let versions = try #require(hist.json["versions"] as? [[String: Any]])
        #expect(versions.count == 2 && hist.json["current_version"] as? Int == 2)
        let authors = (versions[1]["cue_authors"] as? [[String: Any]] ?? []).compactMap { $0["author"] as? String }
        #expect(authors.contains("reviewer@example.com"))
        #expect(versions[1]["author"] as? String == "reviewer@example.com" && versions[0]["author"] as? String == "olleey/test-translator")
        // malformed: 400 naming the line; nothing stored
        let bad = try f.call("PATCH", path, as: "admin", json: "WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nHi\n\n00:00:04.000 --> 00:00:05.000\nfish & chips\n", contentType: "text/vtt")
        #expect(bad.status == 400, "\(bad.text)")
        let detail = bad.json["detail"] as? String ?? ""
        #expect(detail.contains("3:") && detail.contains("errors"), "\(detail)")
        let noSig = try f.call("PATCH", path, as: "admin", json: "00:00:01.000 --> 00:00:02.000\nHi\n", contentType: "text/vtt")
        #expect(noSig.status == 400 && (noSig.json["detail"] as? String ?? "").contains("1:1"))
        #expect(try f.call("GET", path, as: "admin").header("X-VTT-Version") == "2")
        #expect(try f.call("PATCH", path, as: "admin", json: #"{"message":"no content"}"#).status == 422)
        #expect(try f.call("PATCH", path, as: "admin", json: "x", contentType: "image/png").status == 415)
        // roles, tokens, organisations, languages
        #expect(try f.call("GET", path, as: nil).status == 401)
        #expect(try f.call("GET", path, as: "client").status == 403)
        #expect(try f.call("PATCH", path, as: "client", json: edited, contentType: "text/vtt").status == 403)
        #expect(try f.call("GET", path, as: "other").status == 404)
        #expect(try f.call("PATCH", path, as: "other", json: edited, contentType: "text/vtt").status == 404)
        #expect(try f.call("GET", "/api/v1/jobs/\(f.job.id)/vtt/de", as: "admin").status == 404)
        #expect(try f.call("GET", "/api/v1/jobs/\(f.job.id)/vtt/en", as: "admin").text == ReviewRoutesTests.sourceVTT)
    }

    @Test("a LINGUIST reads and edits only the languages assigned to it")
    func linguistAssigned() throws {
        let f = try Fixture()
        let es = "/api/v1/jobs/\(f.job.id)/vtt/es", fr = "/api/v1/jobs/\(f.job.id)/vtt/fr"
        #expect(try f.call("GET", es, as: "ling").status == 403)
        #expect(try f.call("PATCH", es, as: "ling", json: ReviewRoutesTests.sourceVTT, contentType: "text/vtt").status == 403)
        #expect(try f.call("GET", "/api/v1/jobs/\(f.job.id)/vtt-versions/es", as: "ling").status == 403)
        try f.assign("es", to: "ling")
        #expect(try f.call("GET", es, as: "ling").status == 200)
        let edit = try f.call("PATCH", es, as: "ling", json: ReviewRoutesTests.spanishVTT.replacingOccurrences(of: "Hola.", with: "Buenas."), contentType: "text/vtt")
        #expect(edit.status == 200 && edit.json["version"] as? Int == 2)
        #expect(try f.call("GET", "/api/v1/jobs/\(f.job.id)/vtt-versions/es", as: "ling").status == 200)
        #expect(try f.call("GET", fr, as: "ling").status == 403)
        #expect(try f.call("GET", es, as: "ling2").status == 403)
        // adjust-timing is REVIEWER and ADMIN only, assigned or not
        #expect(try f.call("POST", "/api/v1/vtt/adjust-timing", as: "ling", json: #"{"job_id":"\#(f.job.id)","language":"es","offset_ms":100}"#).status == 403)
    }

    @Test("versions: list, one version's content, diff (the literal 'diff' wins over {version_id}), restore as a new version")
    func versions() throws {
        let f = try Fixture()
        let base = "/api/v1/jobs/\(f.job.id)/vtt-versions/es"
        let changed = ReviewRoutesTests.spanishVTT.replacingOccurrences(of: "Adiós.", with: "Hasta luego.")
        #expect(try f.call("PATCH", "/api/v1/jobs/\(f.job.id)/vtt/es", as: "reviewer", json: changed, contentType: "text/vtt").status == 200)
        let d = try f.call("GET", base + "/diff?from=1&to=2", as: "reviewer")
        #expect(d.status == 200, "\(d.text)")
        #expect(d.json["from"] as? Int == 1 && d.json["to"] as? Int == 2)
        let diff = try #require(d.json["diff"] as? [String: Any])
        #expect(diff["identical"] as? Bool == false && (diff["summary"] as? [String: Any])?["text_changed"] as? Int == 1)
        let dflt = try f.call("GET", base + "/diff", as: "reviewer")
        #expect(dflt.json["from"] as? Int == 1 && dflt.json["to"] as? Int == 2)
        #expect(try f.call("GET", base + "/diff?from=x", as: "reviewer").status == 400)
        #expect(try f.call("GET", base + "/diff?from=9", as: "reviewer").status == 404)
        let v1 = try f.call("GET", base + "/1", as: "reviewer")
        #expect(v1.status == 200 && v1.json["content"] as? String == ReviewRoutesTests.spanishVTT && v1.json["version_id"] as? String == "1")
        #expect(v1.json["author"] as? String == "olleey/test-translator" && (v1.json["created_at"] as? String)?.hasSuffix("Z") == true)
        #expect(try f.call("GET", base + "/99", as: "reviewer").status == 404)
        #expect(try f.call("GET", base + "/abc", as: "reviewer").status == 404)
        let restored = try f.call("POST", base + "/1/restore", as: "reviewer")
        #expect(restored.status == 201 && restored.json["version"] as? Int == 3 && restored.json["restored_from"] as? Int == 1)
        #expect(try f.call("GET", "/api/v1/jobs/\(f.job.id)/vtt/es", as: "admin").text == ReviewRoutesTests.spanishVTT)
        let list = try f.call("GET", base, as: "admin")
        #expect((list.json["versions"] as? [[String: Any]])?.map { $0["version"] as? Int } == [1, 2, 3])
        #expect(try f.call("POST", base + "/1/restore", as: "client").status == 403)
        #expect(try f.call("GET", base + "/diff", as: "other").status == 404)
        #expect(try f.call("GET", base, as: nil).status == 401)
    }

    @Test("adjust-timing shifts every cue as a new version, keeping authorship; validation, 401, 403, 404")
    func adjustTiming() throws {
        let f = try Fixture()
        let r = try f.call("POST", "/api/v1/vtt/adjust-timing", as: "reviewer", json: #"{"job_id":"\#(f.job.id)","language":"es","offset_ms":1500}"#)
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json["version"] as? Int == 2 && r.json["shifted"] as? Int == 2 && r.json["offset_ms"] as? Int == 1500 && r.json["clamped"] as? Int == 0)
        let vtt = try f.call("GET", "/api/v1/jobs/\(f.job.id)/vtt/es", as: "admin").text
        #expect(vtt.contains("00:00:02.500 --> 00:00:04.500") && vtt.contains("00:00:05.500 --> 00:00:07.500") && vtt.contains("Adiós."))
        let earlier = try f.call("POST", "/api/v1/vtt/adjust-timing", as: "admin", json: #"{"job_id":"\#(f.job.id)","language":"es","offset_seconds":-3}"#)
        #expect(earlier.status == 200 && (earlier.json["dropped"] as? [String]) == [] && earlier.json["clamped"] as? Int == 1, "\(earlier.text)")
        let gone = try f.call("POST", "/api/v1/vtt/adjust-timing", as: "admin", json: #"{"job_id":"\#(f.job.id)","language":"es","offset_ms":-2000}"#)
        #expect(gone.status == 200 && (gone.json["dropped"] as? [String]) == ["1"] && gone.json["shifted"] as? Int == 1 && gone.json["version"] as? Int == 4)
        #expect(try f.call("POST", "/api/v1/vtt/adjust-timing", as: "admin", json: #"{"job_id":"\#(f.job.id)","language":"es"}"#).status == 422)
        #expect(try f.call("POST", "/api/v1/vtt/adjust-timing", as: "admin", json: #"{"job_id":"\#(f.job.id)","language":"es","offset_ms":0}"#).status == 400)
        #expect(try f.call("POST", "/api/v1/vtt/adjust-timing", as: "admin", json: #"{"job_id":"\#(f.job.id)","language":"es","offset_ms":"1s"}"#).status == 422)
        #expect(try f.call("POST", "/api/v1/vtt/adjust-timing", as: "admin", json: #"{"language":"es","offset_ms":10}"#).status == 422)
        #expect(try f.call("POST", "/api/v1/vtt/adjust-timing", as: "client", json: #"{"job_id":"\#(f.job.id)","language":"es","offset_ms":10}"#).status == 403)
        #expect(try f.call("POST", "/api/v1/vtt/adjust-timing", as: "other", json: #"{"job_id":"\#(f.job.id)","language":"es","offset_ms":10}"#).status == 404)
        #expect(try f.call("POST", "/api/v1/vtt/adjust-timing", as: nil, json: #"{"job_id":"\#(f.job.id)","language":"es","offset_ms":10}"#).status == 401)
    }

    // MARK: language QC

    @Test("language QC: status, assign (PM), approve by the assigned LINGUIST, reject with a reason, feedback; 401/403/404/409/422")
    func languageQC() throws {
        let f = try Fixture()
        let base = "/api/v1/jobs/\(f.job.id)/language-qc"
        let st = try f.call("GET", base, as: "pm")
        #expect(st.status == 200 && st.json["job_id"] as? String == f.job.id)
        let langs = try #require(st.json["languages"] as? [[String: Any]])
        #expect(langs.compactMap { $0["language"] as? String } == ["es", "fr"])
        #expect(langs[0]["state"] as? String == "unassigned" && langs[0]["assignee"] is NSNull && langs[0]["language_status"] as? String == "waiting_approval")
        #expect(try f.call("GET", base, as: "client").status == 403)
        #expect(try f.call("GET", base, as: "other").status == 404)
        #expect(try f.call("GET", base, as: nil).status == 401)
        #expect(try f.call("POST", base + "/es/assign", as: "reviewer", json: #"{"linguist_id":"ling@example.com"}"#).status == 403)
        #expect(try f.call("POST", base + "/es/assign", as: "pm", json: "{}").status == 422)
        #expect(try f.call("POST", base + "/es/assign", as: "pm", json: #"{"linguist_id":"client@example.com"}"#).status == 400)
        let a = try f.call("POST", base + "/es/assign", as: "pm", json: #"{"linguist_id":"ling@example.com"}"#)
        #expect(a.status == 200 && a.json["assignee"] as? String == "ling@example.com" && a.json["state"] as? String == "in_review")
        #expect(try f.call("POST", base + "/es/approve", as: "ling2").status == 403)
        #expect(try f.call("POST", base + "/es/feedback", as: "ling", json: #"{"message":"check cue 2"}"#).status == 200)
        let ok = try f.call("POST", base + "/es/approve", as: "ling")
        #expect(ok.status == 200 && ok.json["state"] as? String == "approved" && ok.json["approval"] as? String == "approved", "\(ok.text)")
        let history = (ok.json["history"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
        #expect(history.contains("assign") && history.contains("feedback") && history.contains("approve"))
        #expect(try f.call("POST", base + "/es/approve", as: "pm").status == 409)
        // fr is not rendered yet: not reviewable
        #expect(try f.call("POST", base + "/fr/reject", as: "pm", json: "{}").status == 422)
        #expect(try f.call("POST", base + "/fr/reject", as: "pm", json: #"{"reason":"wrong names"}"#).status == 409)
        try JobStore(f.s.db).setLanguage(f.job.id, "fr", status: .waitingApproval)
        let rej = try f.call("POST", base + "/fr/reject", as: "pm", json: #"{"reason":"wrong names"}"#)
        #expect(rej.status == 200 && rej.json["state"] as? String == "rejected" && rej.json["reason"] as? String == "wrong names")
        #expect(try f.call("POST", base + "/de/approve", as: "pm").status == 404)
        #expect(try f.call("POST", base + "/es/feedback", as: "pm", json: "{}").status == 422)
        #expect(try f.call("POST", base + "/es/feedback", as: "other", json: #"{"message":"x"}"#).status == 404)
        #expect(try f.call("POST", base + "/es/feedback", as: "client", json: #"{"message":"x"}"#).status == 403)
        // an approved language is locked: a PATCH without reopen is a conflict
        #expect(try f.call("PATCH", "/api/v1/jobs/\(f.job.id)/vtt/es", as: "admin", json: ReviewRoutesTests.sourceVTT, contentType: "text/vtt").status == 409)
    }

    // MARK: glossaries

    @Test("glossaries: create, read back, list, update, terms add and delete, delete; ADMIN writes, ALL read, another org's is 404")
    func glossaries() throws {
        let f = try Fixture()
        let c = try f.call("POST", "/api/v1/glossaries", as: "admin", json: #"{"name":"Brand","source_lang":"en","description":"product names","is_simulation":true}"#)
        #expect(c.status == 201, "\(c.text)")
        let id = try #require(c.json["id"] as? String)
        #expect(c.json["name"] as? String == "Brand" && c.json["source_lang"] as? String == "en" && c.json["description"] as? String == "product names")
        #expect(c.json["term_count"] as? Int == 0 && (c.json["terms"] as? [Any])?.isEmpty == true && (c.json["created_at"] as? String)?.hasSuffix("Z") == true)
        #expect(try f.call("POST", "/api/v1/glossaries", as: "admin", json: #"{"name":"Brand","source_lang":"en"}"#).status == 409)
        #expect(try f.call("POST", "/api/v1/glossaries", as: "admin", json: #"{"source_lang":"en"}"#).status == 422)
        #expect(try f.call("POST", "/api/v1/glossaries", as: "admin", json: #"{"name":"X","source_lang":"zz-nope"}"#).status == 400)
        #expect(try f.call("POST", "/api/v1/glossaries", as: "client", json: #"{"name":"C","source_lang":"en"}"#).status == 403)
        #expect(try f.call("POST", "/api/v1/glossaries", as: nil, json: #"{"name":"C","source_lang":"en"}"#).status == 401)
        let t = try f.call("POST", "/api/v1/glossaries/\(id)/terms", as: "admin",
                           json: #"{"term":"Olleey","dnt":true,"note":"the product","targets":{"es":"Olleey","fr":{"term":"Olleey","forbidden":["Olé"]}}}"#)
        #expect(t.status == 201, "\(t.text)")
        let termId = try #require(t.json["id"] as? String)
        #expect(t.json["term"] as? String == "Olleey" && t.json["dnt"] as? Bool == true && t.json["note"] as? String == "the product")
        #expect(((t.json["targets"] as? [String: Any])?["fr"] as? [String: Any])?["forbidden"] as? [String] == ["Olé"])
        #expect(try f.call("POST", "/api/v1/glossaries/\(id)/terms", as: "admin", json: #"{"term":"Olleey"}"#).status == 409)
        #expect(try f.call("POST", "/api/v1/glossaries/\(id)/terms", as: "admin", json: #"{"term":"x","targets":{"en":"x"}}"#).status == 400)
        #expect(try f.call("POST", "/api/v1/glossaries/\(id)/terms", as: "admin", json: #"{"dnt":true}"#).status == 422)
        #expect(try f.call("POST", "/api/v1/glossaries/\(id)/terms", as: "reviewer", json: #"{"term":"y"}"#).status == 403)
        // read back by anyone of the organisation
        let g = try f.call("GET", "/api/v1/glossaries/\(id)", as: "client")
        #expect(g.status == 200 && g.json["term_count"] as? Int == 1 && (g.json["terms"] as? [[String: Any]])?.first?["id"] as? String == termId)
        let list = try f.call("GET", "/api/v1/glossaries", as: "ling")
        #expect(list.status == 200 && list.json["total"] as? Int == 1 && list.json["page"] as? Int == 1 && list.json["total_pages"] as? Int == 1)
        #expect((list.json["glossaries"] as? [[String: Any]])?.first?["name"] as? String == "Brand")
        #expect(try f.call("GET", "/api/v1/glossaries?page=0", as: "ling").status == 400)
        // another organisation sees none of it
        #expect(try f.call("GET", "/api/v1/glossaries/\(id)", as: "other").status == 404)
        #expect(try f.call("GET", "/api/v1/glossaries", as: "other").json["total"] as? Int == 0)
        #expect(try f.call("DELETE", "/api/v1/glossaries/\(id)", as: "other").status == 404)
        #expect(try f.call("DELETE", "/api/v1/glossaries/\(id)/terms/\(termId)", as: "other").status == 404)
        // update
        let u = try f.call("PUT", "/api/v1/glossaries/\(id)", as: "admin", json: #"{"name":"Brand names","description":"all of them"}"#)
        #expect(u.status == 200 && u.json["name"] as? String == "Brand names" && u.json["description"] as? String == "all of them" && u.json["source_lang"] as? String == "en")
        #expect(try f.call("PUT", "/api/v1/glossaries/\(id)", as: "pm", json: #"{"name":"Z"}"#).status == 403)
        #expect(try f.call("PUT", "/api/v1/glossaries/\(id)", as: "admin", json: #"{"name":42}"#).status == 422)
        // terms and the glossary go
        #expect(try f.call("DELETE", "/api/v1/glossaries/\(id)/terms/nope", as: "admin").status == 404)
        #expect(try f.call("DELETE", "/api/v1/glossaries/\(id)/terms/\(termId)", as: "client").status == 403)
        let dt = try f.call("DELETE", "/api/v1/glossaries/\(id)/terms/\(termId)", as: "admin")
        #expect(dt.status == 200 && dt.json["term"] as? String == "Olleey")
        #expect(try f.call("GET", "/api/v1/glossaries/\(id)", as: "admin").json["term_count"] as? Int == 0)
        #expect(try f.call("DELETE", "/api/v1/glossaries/\(id)", as: "client").status == 403)
        // a create with terms is one transaction: a bad term creates nothing
        let withTerms = try f.call("POST", "/api/v1/glossaries", as: "admin", json: #"{"name":"Two","source_lang":"en","terms":[{"term":"river","targets":{"es":"río"}},{"term":"cold"}]}"#)
        #expect(withTerms.status == 201 && withTerms.json["term_count"] as? Int == 2 && (withTerms.json["terms"] as? [[String: Any]])?.count == 2)
        #expect(try f.call("POST", "/api/v1/glossaries", as: "admin", json: #"{"name":"Three","source_lang":"en","terms":[{"term":"ok"},{"term":"bad","targets":{"en":"x"}}]}"#).status == 400)
        #expect(try f.call("GET", "/api/v1/glossaries", as: "admin").json["total"] as? Int == 2)
        let del = try f.call("DELETE", "/api/v1/glossaries/\(id)", as: "admin")
        #expect(del.status == 200 && del.json["deleted"] as? Bool == true)
        #expect(try f.call("GET", "/api/v1/glossaries/\(id)", as: "admin").status == 404)
    }

    // MARK: files

    @Test("downloads: absolute signed URLs (24 h) served without a token, with Range/206 and HEAD; tampered, edited and expired links are 403")
    func downloadsAndSignedLinks() throws {
        let f = try Fixture()
        let d = try f.call("GET", "/api/v1/jobs/\(f.job.id)/downloads", as: "client")
        #expect(d.status == 200, "\(d.text)")
        let items = try #require(d.json["downloads"] as? [[String: Any]])
        #expect(items.map { "\($0["language"] as? String ?? "")/\($0["kind"] as? String ?? "")" } == ["all/master", "es/mp4", "es/vtt"])
        // absolute, from the request's Host (the test client sends `Host: 127.0.0.1`)
        #expect((d.json["master"] as? String)?.hasPrefix("http://127.0.0.1/files/signed/") == true)
        let expires = try #require(Clock.parseISO8601(d.json["expires_at"] as? String ?? ""))
        let ttl = Double(expires) / 1000 - Date().timeIntervalSince1970
        #expect(ttl > 24 * 3600 - 60 && ttl <= 24 * 3600 + 1)
        let mp4 = try #require(items.first { $0["kind"] as? String == "mp4" })
        #expect(mp4["content_type"] as? String == "video/mp4" && mp4["file_name"] as? String == "talk.es.mp4")
        let url = try f.local(try #require(mp4["url"] as? String))
        let whole = try f.call("GET", url, as: nil)
        #expect(whole.status == 200 && whole.body == f.mp4Bytes && whole.header("Content-Type") == "video/mp4" && whole.header("Accept-Ranges") == "bytes")
        let part = try f.call("GET", url, as: nil, headers: [("Range", "bytes=0-99")])
        #expect(part.status == 206 && part.body == Array(f.mp4Bytes[0..<100]) && part.header("Content-Range") == "bytes 0-99/4096")
        let head = try f.s.exchange(Array("HEAD \(url) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        #expect(String(decoding: head.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
        let vtt = try f.call("GET", try f.local(try #require(items.first { $0["kind"] as? String == "vtt" }?["url"] as? String)), as: nil)
        #expect(vtt.text == ReviewRoutesTests.spanishVTT && vtt.header("Content-Type")?.hasPrefix("text/vtt") == true)
        // a changed signature, a changed name, an expired link, an upload link used to read
        let parts = url.split(separator: "/").map(String.init)  // files, signed, TOKEN, NAME
        let token = parts[2]
        // the last character (whose low bits base64url does not use) and one in the middle of the signature
        let lastFlipped = String(token.dropLast()) + (token.hasSuffix("A") ? "B" : "A")
        var chars = Array(token)
        chars[chars.count - 10] = chars[chars.count - 10] == "x" ? "y" : "x"
        for t in [lastFlipped, String(chars)] {
            let tampered = try f.call("GET", "/files/signed/\(t)/\(parts[3])", as: nil)
            #expect(tampered.status == 403 && (tampered.json["detail"] as? String)?.isEmpty == false && tampered.code == "forbidden")
        }
        #expect(try f.call("GET", "/files/signed/\(token)/talk.es.maa", as: nil).status == 403)
        let key = try SigningKeys(f.s.db).urlKey()
        let rel = Paths.relative(OutputLayout.languageStem(outputsDir: f.s.ws.outputsDir, job: f.job, language: "es") + ".mp4", to: f.s.ws.root)
        let old = SignedLink(purpose: .download, org: Actor.defaultOrg, job: f.job.id, path: rel, expires: Int64(Date().timeIntervalSince1970) - 5)
        #expect(try f.call("GET", old.routePath(key: key), as: nil).status == 403)
        let up = SignedLink(purpose: .upload, org: Actor.defaultOrg, job: f.job.id, path: rel, expires: Int64(Date().timeIntervalSince1970) + 60)
        #expect(try f.call("GET", up.routePath(key: key), as: nil).status == 403)
        // a link to a path outside the workspace, signed with the real key, is still refused
        let outside = SignedLink(purpose: .download, org: Actor.defaultOrg, job: f.job.id, path: "../etc/passwd", expires: Int64(Date().timeIntervalSince1970) + 60)
        #expect(try f.call("GET", outside.routePath(key: key), as: nil).status == 404)
        #expect(try f.call("GET", "/api/v1/jobs/\(f.job.id)/downloads", as: "other").status == 404)
        #expect(try f.call("GET", "/api/v1/jobs/\(f.job.id)/downloads", as: nil).status == 401)
    }

    @Test("files/{job_id}/{path}: the rest of the path, confined to the job's folder (traversal 400/404), a signed URL that serves the file")
    func filePath() throws {
        let f = try Fixture()
        let r = try f.call("GET", "/api/v1/files/\(f.job.id)/es/talk.es.vtt", as: "ling")
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json["path"] as? String == "es/talk.es.vtt" && r.json["job_id"] as? String == f.job.id && (r.json["expires_at"] as? String)?.hasSuffix("Z") == true)
        #expect(try f.call("GET", try f.local(try #require(r.json["url"] as? String)), as: nil).text == ReviewRoutesTests.spanishVTT)
        #expect(try f.call("GET", "/api/v1/files/\(f.job.id)/talk.master.mp4", as: "client").status == 200)
        #expect(try f.call("GET", "/api/v1/files/\(f.job.id)/es/missing.vtt", as: "client").status == 404)
        #expect(try f.call("GET", "/api/v1/files/\(f.job.id)/es", as: "client").status == 404)  // a folder
        for t in ["/api/v1/files/\(f.job.id)/../../olleey.db", "/api/v1/files/\(f.job.id)/es/%2E%2E/%2E%2E/%2E%2E/olleey.db"] {
            #expect([400, 404].contains(try f.call("GET", t, as: "client").status), "\(t)")
        }
        for t in ["/api/v1/files/\(f.job.id)/..%2F..%2Folleey.db", "/api/v1/files/\(f.job.id)/es%2F..%2F..%2F..%2Folleey.db", "/api/v1/files/\(f.job.id)/%2Fetc%2Fpasswd"] {
            #expect(try f.call("GET", t, as: "client").status == 404, "\(t)")
        }
        #expect(try f.call("GET", "/api/v1/files/\(f.job.id)/es/talk.es.vtt", as: "other").status == 404)
        #expect(try f.call("GET", "/api/v1/files/\(f.job.id)/es/talk.es.vtt", as: nil).status == 401)
    }

    @Test("upload-url: CLIENT and ADMIN get a PUT link for one file; the bytes are stored once, confined; bad names 400")
    func uploadURL() throws {
        let f = try Fixture()
        let r = try f.call("POST", "/api/v1/files/upload-url", as: "client", json: #"{"file_name":"notes.srt","job_id":"\#(f.job.id)"}"#)
        #expect(r.status == 201, "\(r.text)")
        #expect(r.json["method"] as? String == "PUT" && r.json["job_id"] as? String == f.job.id && (r.json["expires_at"] as? String)?.hasSuffix("Z") == true)
        let url = try f.local(try #require(r.json["upload_url"] as? String))
        let body = "1\n00:00:01,000 --> 00:00:02,000\nHi\n"
        let put = try f.call("PUT", url, as: nil, json: body, contentType: "application/x-subrip")
        #expect(put.status == 201 && put.json["bytes"] as? Int == body.utf8.count, "\(put.text)")
        let stored = f.s.ws.root + "/" + (try #require(r.json["path"] as? String))
        #expect(stored.hasPrefix(OutputLayout.dir(outputsDir: f.s.ws.outputsDir, jobId: f.job.id) + "/uploads/"))
        #expect(try String(contentsOfFile: stored, encoding: .utf8) == body)
        // once
        #expect(try f.call("PUT", url, as: nil, json: "other", contentType: "text/plain").status == 409)
        #expect(try String(contentsOfFile: stored, encoding: .utf8) == body)
        // the same name again for that job is a conflict; an upload link does not read
        #expect(try f.call("POST", "/api/v1/files/upload-url", as: "client", json: #"{"file_name":"notes.srt","job_id":"\#(f.job.id)"}"#).status == 409)
        #expect(try f.call("GET", url, as: nil).status == 403)
        // without a job: an upload area of the organisation
        let area = try f.call("POST", "/api/v1/files/upload-url", as: "admin", json: #"{"file_name":"clip.mp4"}"#)
        #expect(area.status == 201 && area.json["job_id"] is NSNull && (area.json["path"] as? String)?.hasPrefix(".olleey/uploads/default/") == true)
        #expect(try f.call("PUT", try f.local(try #require(area.json["upload_url"] as? String)), as: nil, json: "").status == 400)
        for bad in ["../x.mp4", ".hidden", "a/b.mp4", ""] {
            #expect(try f.call("POST", "/api/v1/files/upload-url", as: "admin", json: #"{"file_name":"\#(bad)"}"#).status == 400, "\(bad)")
        }
        #expect(try f.call("POST", "/api/v1/files/upload-url", as: "admin", json: "{}").status == 422)
        #expect(try f.call("POST", "/api/v1/files/upload-url", as: "reviewer", json: #"{"file_name":"a.mp4"}"#).status == 403)
        #expect(try f.call("POST", "/api/v1/files/upload-url", as: "other", json: #"{"file_name":"a.mp4","job_id":"\#(f.job.id)"}"#).status == 404)
        #expect(try f.call("POST", "/api/v1/files/upload-url", as: nil, json: #"{"file_name":"a.mp4"}"#).status == 401)
    }

    @Test("upload-url counts against the per-user upload limit")
    func uploadLimit() throws {
        let s = try AppServer(settings: [("ratelimit.upload_per_hour", "2")])
        try s.user("c@example.com", .client)
        let tok = try #require(try s.request("POST", "/auth/login", json: loginJSON("c@example.com")).json["access_token"] as? String)
        for i in 0..<2 { #expect(try s.request("POST", "/api/v1/files/upload-url", json: #"{"file_name":"f\#(i).mp4"}"#, headers: bearer(tok)).status == 201) }
        let third = try s.request("POST", "/api/v1/files/upload-url", json: #"{"file_name":"f3.mp4"}"#, headers: bearer(tok))
        #expect(third.status == 429 && third.header("Retry-After") != nil)
    }

    @Test("OpenAPI lists part C's routes with strict 2xx schemas")
    func openAPI() throws {
        let f = try Fixture()
        let doc = try f.call("GET", "/openapi.json", as: nil).json
        let paths = try #require(doc["paths"] as? [String: Any])
        for p in ["/api/v1/jobs/{id}/vtt/{lang}", "/api/v1/vtt/adjust-timing", "/api/v1/jobs/{id}/vtt-versions/{lang}/diff",
                  "/api/v1/jobs/{id}/vtt-versions/{lang}/{version_id}/restore", "/api/v1/jobs/{id}/language-qc/{lang}/assign",
                  "/api/v1/glossaries/{id}/terms/{term_id}", "/api/v1/files/{job_id}/{path}", "/api/v1/jobs/{id}/downloads", "/files/signed/{token}/{name}"] {
            #expect(paths[p] != nil, "\(p)")
        }
        let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for name in ["VTTSaved", "VTTVersionList", "VTTDiff", "LanguageQCList", "GlossaryDetail", "GlossaryList", "Downloads", "UploadURL", "DownloadURL"] {
            let s = try #require(schemas[name] as? [String: Any], "\(name)")
            #expect(s["additionalProperties"] as? Bool == false && (s["required"] as? [String])?.isEmpty == false, "\(name)")
        }
    }
}
