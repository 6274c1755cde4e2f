import Foundation

/// Who a person at this machine is, for the authorship of what they write (track versions,
/// edited cues, imported files): `--as`, else `$OLLEEY_USER`, else the `vtt.author` or
/// `user.email` setting, else the login name. Never "unknown".
public enum LocalAuthor {
    public static func resolve(explicit: String?, environment: [String: String], config: ConfigStore?) throws -> String {
        if let a = explicit?.trimmingCharacters(in: .whitespaces), !a.isEmpty { return a }
        if let a = environment["OLLEEY_USER"]?.trimmingCharacters(in: .whitespaces), !a.isEmpty { return a }
        if let cfg = config {
            for key in ["vtt.author", "user.email"] { if let v = try cfg.value(key), !v.isEmpty { return v } }
        }
        if let u = environment["USER"] ?? environment["LOGNAME"], !u.isEmpty { return u }
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }
}
