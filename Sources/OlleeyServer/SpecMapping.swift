import OlleeyHTTP
import OlleeyKit

/// One field of a spec's object: its name there and how it is written from OlleeyKit's read
/// model. The routes map field names only; what a value means is OlleeyKit's.
struct SpecField<Model>: Sendable {
    let name: String
    let write: @Sendable (inout JSONWriter, Model) -> Void

    static func string(_ name: String, _ get: @escaping @Sendable (Model) -> String) -> SpecField {
        SpecField(name: name) { w, m in w.value(get(m)) }
    }
    static func optionalString(_ name: String, _ get: @escaping @Sendable (Model) -> String?) -> SpecField {
        SpecField(name: name) { w, m in if let s = get(m) { w.value(s) } else { w.null() } }
    }
    static func int(_ name: String, _ get: @escaping @Sendable (Model) -> Int) -> SpecField {
        SpecField(name: name) { w, m in w.value(get(m)) }
    }
    static func strings(_ name: String, _ get: @escaping @Sendable (Model) -> [String]) -> SpecField {
        SpecField(name: name) { w, m in w.array { a in for s in get(m) { a.value(s) } } }
    }
}

/// The field names of the two API specs (`../shared/spec/`) over OlleeyKit's read models, one
/// table per object and spec, written once: the root spec (`olleey-backend-api.md`, routes at
/// `/`) and the second spec (`accessible-video-api.md`, routes under `/api/v1`). Objects are
/// written with JSONWriter in the table's order (no JSONEncoder on the hot path).
enum SpecMapping {
    /// A job in the root spec's `GET /jobs` list.
    static let rootJob: [SpecField<Job>] = [
        .string("job_id") { $0.id },
        .optionalString("source_video_id") { $0.videoId },
        .string("status") { $0.status.rawValue },
        .int("progress") { $0.progress },
        .strings("target_languages") { $0.options.targetLanguages },
        .string("created_at") { $0.createdAt },
        .string("updated_at") { $0.updatedAt },
    ]

    /// A job in the second spec's `GET /api/v1/jobs` list (its "job object key fields" that
    /// the read model has; `outputs` and `language_qc` belong to the job detail).
    static let v1Job: [SpecField<Job>] = [
        .string("_id") { $0.id },
        .string("status") { $0.status.rawValue },
        .string("org_id") { $0.orgId },
        .string("source_language") { $0.sourceLang },
        .strings("requested_outputs") { $0.options.targetLanguages },
        .string("created_at") { $0.createdAt },
        .string("updated_at") { $0.updatedAt },
        .optionalString("error") { $0.error },
    ]

    static func write<M>(_ fields: [SpecField<M>], _ model: M, to w: inout JSONWriter) {
        w.object { o in
            for f in fields { o.key(f.name); f.write(&o, model) }
        }
    }

    /// `{"jobs": [...], "total": N}` (both specs' list envelope).
    static func jobList(_ page: JobPage, fields: [SpecField<Job>]) -> [UInt8] {
        var w = JSONWriter(capacity: 256 * max(1, page.items.count))
        w.object { o in
            o.key("jobs")
            o.array { a in for i in page.items.indices { write(fields, page.items[i].job, to: &a) } }
            o.field("total", page.total)
        }
        return w.bytes
    }
}
