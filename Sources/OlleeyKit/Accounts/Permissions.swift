/// Who may do what, for the server's routes: the Roles column of the second API spec
/// (`accessible-video-api.md`), written once as data. The root spec names no roles: its routes
/// use the same actions, so one user has one set of rights whichever API it calls.
///
/// Organisation scoping is not here: every query takes the actor's organisation, and a resource
/// of another organisation is "not found" (404) before any role is checked. A member without
/// the role gets 403 (`permission`), which names the roles that may.
public enum Permission: String, Sendable, CaseIterable {
    case jobsRead = "jobs.read"             // list, detail, downloads, files (ALL)
    case jobsCreate = "jobs.create"         // create, upload (CLIENT, ADMIN)
    case jobsDelete = "jobs.delete"         // delete a job and its files (ADMIN)
    case jobsReview = "jobs.review"         // approve, reject, feedback at the job level (REVIEWER, ADMIN)
    case jobsRetry = "jobs.retry"           // retry a failed task (ADMIN)
    case jobsControl = "jobs.control"       // start, pause, cancel, save as draft (CLIENT, PM, ADMIN)
    case jobsStatus = "jobs.status"         // set a job's status by hand (ADMIN)
    case vttRead = "vtt.read"               // a track and its versions (REVIEWER, ADMIN; an assigned LINGUIST)
    case vttWrite = "vtt.write"             // edit a track, restore a version (REVIEWER, LINGUIST (assigned), ADMIN)
    case vttTiming = "vtt.timing"           // bulk shift (REVIEWER, ADMIN)
    case qcRead = "qc.read"                 // per-language QC state (REVIEWER, PM, ADMIN)
    case qcAssign = "qc.assign"             // assign a linguist (PM, ADMIN)
    case qcDecide = "qc.decide"             // approve, reject, feedback per language (LINGUIST (assigned), PM, ADMIN)
    case glossaryRead = "glossary.read"     // ALL
    case glossaryWrite = "glossary.write"   // ADMIN
    case filesUpload = "files.upload"       // signed upload URL (CLIENT, ADMIN)
    case settingsWrite = "settings.write"   // projects, channels, connections, settings (CLIENT, PM, ADMIN)

    /// The roles that hold this permission outright.
    public var roles: Set<Role> {
        switch self {
        case .jobsRead, .glossaryRead: return Set(Role.allCases)
        case .jobsCreate, .filesUpload: return [.client, .admin]
        case .jobsDelete, .jobsRetry, .jobsStatus, .glossaryWrite: return [.admin]
        case .jobsReview, .vttTiming: return [.reviewer, .admin]
        case .jobsControl, .settingsWrite: return [.client, .pm, .admin]
        case .vttRead, .vttWrite: return [.reviewer, .admin]
        case .qcRead: return [.reviewer, .pm, .admin]
        case .qcAssign, .qcDecide: return [.pm, .admin]
        }
    }

    /// Permissions a LINGUIST holds for the languages it is assigned to (QC assignment), and
    /// only for those: it may read the track it may edit.
    public var assignedLinguist: Bool { [.vttRead, .vttWrite, .qcDecide].contains(self) }

    /// Whether `role` may, with `assigned` telling whether the caller is the language's assigned
    /// linguist (only asked for the permissions where that counts).
    public func allows(_ role: Role, assigned: Bool = false) -> Bool {
        roles.contains(role) || (role == .linguist && assignedLinguist && assigned)
    }

    /// Throws `permission` (403) unless `role` may.
    public func check(_ role: Role, assigned: Bool = false, action: String? = nil) throws {
        guard !allows(role, assigned: assigned) else { return }
        var who = Role.allCases.filter { roles.contains($0) }.map(\.rawValue)
        if assignedLinguist { who.insert("LINGUIST (assigned)", at: min(1, who.count)) }
        throw OlleeyError.permission("\(action ?? rawValue) needs the \(who.joined(separator: ", ")) role",
                                     hint: "ask an ADMIN of your organisation")
    }
}
