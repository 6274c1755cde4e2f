import Foundation
import Testing
import OlleeyKit

@Suite("Projects, channels, the graph and publishing")
struct ChannelTests {
    static func master(_ f: ReviewFixture, publish: String? = nil) throws -> (Channel, Channel, Channel) {
        let svc = ChannelService(f.db)
        var m = ChannelCreate(name: "main")
        m.language = "en"
        m.publishCommand = publish
        let master = try svc.create(m)
        var es = ChannelCreate(name: "main-es"); es.master = "main"; es.language = "es"; es.externalId = "UCes"
        var fr = ChannelCreate(name: "main-fr"); fr.master = master.id; fr.language = "fr"
        return (master, try svc.create(es), try svc.create(fr))
    }

    @Test("projects: create, rename, delete (with jobs needs force)")
    func projects() throws {
        let f = try ReviewFixture()
        let svc = ProjectService(f.db)
        let p = try svc.create(name: "Demo", description: "pilot")
        #expect(errorCode { _ = try svc.create(name: "Demo") } == .alreadyExists)
        #expect(errorCode { _ = try svc.create(name: "  ") } == .usage)
        #expect(try svc.resolve("Demo").id == p.id)
        #expect(try svc.resolve(String(p.id.prefix(13))).id == p.id)
        #expect(errorCode { _ = try svc.resolve("Dmo") } == .notFound)
        #expect(try svc.update("Demo", name: "Demo 2", description: nil).name == "Demo 2")
        let j = try f.job(["es"], project: p.id)
        #expect(errorCode { _ = try svc.delete("Demo 2", force: false) } == .conflict)
        _ = try svc.delete("Demo 2", force: true)
        #expect(try f.reload(j).projectId == nil)
        #expect(try svc.list().isEmpty)
    }

    @Test("a master channel and one language channel per language")
    func create() throws {
        let f = try ReviewFixture()
        let svc = ChannelService(f.db)
        let (m, es, _) = try Self.master(f)
        #expect(m.kind == .master && es.kind == .language && es.masterId == m.id && es.language == "es")
        var dup = ChannelCreate(name: "other-es"); dup.master = "main"; dup.language = "es"
        #expect(errorCode { _ = try svc.create(dup) } == .alreadyExists)
        var noLang = ChannelCreate(name: "x"); noLang.master = "main"
        #expect(errorCode { _ = try svc.create(noLang) } == .usage)
        var underLang = ChannelCreate(name: "y"); underLang.master = "main-es"; underLang.language = "de"
        #expect(errorCode { _ = try svc.create(underLang) } == .invalid)
        var own = ChannelCreate(name: "z"); own.master = "main"; own.language = "en"
        #expect(errorCode { _ = try svc.create(own) } == .invalid)
        var badHook = ChannelCreate(name: "w"); badHook.publishURL = "ftp://x"
        #expect(errorCode { _ = try svc.create(badHook) } == .usage)
        #expect(errorCode { _ = try svc.create(ChannelCreate(name: "main")) } == .alreadyExists)
        #expect(errorCode { _ = try svc.resolve("mian") } == .notFound)
        #expect(try svc.list(masterId: m.id).map(\.name) == ["main", "main-es", "main-fr"])
        var u = ChannelUpdate(); u.publishURL = "https://example.com/hook"
        let updated = try svc.update("main-es", u)
        #expect(updated.publishURL == "https://example.com/hook" && updated.publishCommand == nil)
        var clear = ChannelUpdate(); clear.publishURL = ""
        #expect(try svc.update("main-es", clear).publishURL == nil)
    }

    @Test("pause and unpause; deleting a channel with jobs needs force")
    func pauseAndDelete() throws {
        let f = try ReviewFixture()
        let svc = ChannelService(f.db)
        let (m, es, _) = try Self.master(f)
        #expect(try svc.setPaused("main-es", true).status == .paused)
        #expect(errorCode { _ = try svc.setPaused("main-es", true) } == .conflict)
        #expect(try svc.setPaused("main-es", false).status == .active)
        let j = try f.job(["es"], channel: es.id)
        #expect(errorCode { _ = try svc.delete("main-es", force: false) } == .conflict)
        #expect(errorCode { _ = try svc.delete("main", force: false) } == .conflict)   // its language channel has a job
        let (_, detached) = try svc.delete("main", force: true)
        #expect(detached == 1)
        #expect(try f.reload(j).channelId == nil)
        #expect(try svc.list().isEmpty)   // the language channels went with their master
        _ = m
    }

    @Test("the graph: masters, their language channels and recent jobs, as JSON and a text tree")
    func graph() throws {
        let f = try ReviewFixture()
        let (m, _, _) = try Self.master(f)
        let j = try f.job(["es", "fr"], status: .completed, languageStatus: .published, channel: m.id)
        let (json, text) = try ChannelService(f.db).graph()
        let node = json["master_nodes"]?.arrayValue?.first
        #expect(node?["channel_name"] == .string("main"))
        #expect(node?["connection_id"] == .string(m.id))
        #expect(node?["jobs_count"] == .int(1))
        let langs = node?["language_channels"]?.arrayValue ?? []
        #expect(langs.map { $0["language_code"] } == [.string("es"), .string("fr")])
        #expect(langs.first?["channel_id"] == .string("UCes"))
        #expect(langs.first?["videos_count"] == .int(1))
        #expect(langs.first?["recent_jobs"]?.arrayValue?.first?["job_id"] == .string(j.id))
        #expect(json["total_connections"] == .int(1) && json["active_connections"] == .int(1))
        #expect(text.contains("main  [master, en, active]  1 job"))
        #expect(text.contains("├── main-es  [es, active]  1 published"))
        #expect(text.contains("└── main-fr  [fr, active]"))
        // the job's shortest unique prefix (8+ characters; longer while its creation time span is open)
        let jobLine = text.split(separator: "\n").first { $0.hasPrefix("│   └── ") && $0.contains("  completed  es:published") }
        let printed = jobLine.map { String($0.dropFirst("│   └── ".count).prefix { $0 != " " }) } ?? ""
        #expect(printed.count >= 8 && j.id.hasPrefix(printed), "\(text)")
        #expect(try ChannelService(f.db).graph(projectId: "none").json["master_nodes"] == .array([]))
    }

    /// A job whose languages are rendered: outputs recorded as the pipeline records them.
    static func rendered(_ f: ReviewFixture, _ langs: [String], channel: String) throws -> Job {
        let j = try f.job(langs, status: .assembling, languageStatus: .draft, channel: channel)
        for l in langs {
            try JobStore(f.db).setLanguageResult(j.id, l, outputs: .object([("mp4", .string(".olleey/outputs/\(j.id)/\(l)/v.\(l).mp4")),
                                                                             ("vtt", .string(".olleey/outputs/\(j.id)/\(l)/v.\(l).vtt"))]),
                                                 fitReport: nil, renderKey: "k-\(l)")
        }
        return j
    }

    @Test("publishing: a command hook per channel; paused channels and channels without a hook get nothing")
    func publish() throws {
        let f = try ReviewFixture()
        let log = f.dir.file("published.txt")
        let (m, es, fr) = try Self.master(f, publish: "sh -c 'echo \"$1 $2 $3\" >> \(log); echo https://videos.example.com/$1' sh {lang} {channel_id} {video}")
        _ = try ChannelService(f.db).setPaused(fr.name, true)
        var de = ChannelCreate(name: "main-de"); de.master = m.name; de.language = "de"
        _ = try ChannelService(f.db).create(de)
        let j = try Self.rendered(f, ["es", "fr", "de", "it"], channel: m.id)
        let published = try ChannelPublisher(db: f.db, workspace: f.ws).publish(j)
        #expect(published == ["es", "de"])
        let lines = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(lines.contains("es UCes \(f.ws.root)/.olleey/outputs/\(j.id)/es/v.es.mp4"))
        let langs = try JobStore(f.db).languages(j.id)
        #expect(langs.first { $0.language == "es" }?.status == .published)
        #expect(langs.first { $0.language == "es" }?.outputs["published"]?["url"] == .string("https://videos.example.com/es"))
        #expect(langs.first { $0.language == "fr" }?.status == .draft)   // paused
        #expect(langs.first { $0.language == "it" }?.status == .draft)   // no it channel
        let skipped = try EventStore(f.db).list(job: j.id).filter { $0.kind == "publish.skipped" }.map { $0.language }
        #expect(skipped == ["fr", "it"])
        // publishing again does not publish twice
        #expect(try ChannelPublisher(db: f.db, workspace: f.ws).publish(j) == ["es", "de"])
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count == 2)
        _ = es
    }

    @Test("publishing to an HTTP endpoint: a JSON POST; a url in the answer is kept; an error status fails")
    func publishHTTP() throws {
        let server = try StandInHTTPServer { r in
            r.json?["lang"] == .string("fr") ? .text("no", status: 500) : .json(["url": .string("https://v.example.com/1")], status: 201)
        }
        defer { server.stop() }
        let f = try ReviewFixture()
        let svc = ChannelService(f.db)
        var m = ChannelCreate(name: "main"); m.publishURL = server.baseURL + "/publish"
        let master = try svc.create(m)
        var es = ChannelCreate(name: "main-es"); es.master = "main"; es.language = "es"
        _ = try svc.create(es)
        let j = try Self.rendered(f, ["es"], channel: master.id)
        #expect(try ChannelPublisher(db: f.db, workspace: f.ws).publish(j) == ["es"])
        let req = try #require(server.requests.first)
        #expect(req.method == "POST" && req.path == "/publish")
        #expect(req.json?["job"] == .string(j.id) && req.json?["channel"] == .string("main-es"))
        #expect(req.json?["video"]?.stringValue?.hasSuffix("/es/v.es.mp4") == true)
        #expect(try JobStore(f.db).language(j.id, "es")?.outputs["published"]?["url"] == .string("https://v.example.com/1"))
        var fr = ChannelCreate(name: "main-fr"); fr.master = "main"; fr.language = "fr"
        _ = try svc.create(fr)
        let k = try Self.rendered(f, ["fr"], channel: master.id)
        #expect(errorCode { _ = try ChannelPublisher(db: f.db, workspace: f.ws).publish(k) } == .failure)
    }

    @Test("a failing publisher fails with its stderr; no hook at all leaves drafts")
    func publishFailure() throws {
        let f = try ReviewFixture()
        let (m, _, _) = try Self.master(f, publish: "sh -c 'echo quota exceeded >&2; exit 3'")
        let j = try Self.rendered(f, ["es"], channel: m.id)
        do { _ = try ChannelPublisher(db: f.db, workspace: f.ws).publish(j); Issue.record("publish did not fail") } catch let e as OlleeyError {
            #expect(e.message.contains("quota exceeded"))
        }
        var u = ChannelUpdate(); u.publishCommand = ""
        _ = try ChannelService(f.db).update("main", u)
        #expect(try ChannelPublisher(db: f.db, workspace: f.ws).publish(j).isEmpty)
    }
}
