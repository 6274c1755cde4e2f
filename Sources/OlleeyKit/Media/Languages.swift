/// Language codes: olleey speaks ISO 639-1 (`es`, optionally with a region: `es-MX`,
/// `pt_BR`), and tags media tracks with ISO 639-2. MP4 (ISO/IEC 14496-12) and ffmpeg's mov
/// muxer use the terminology form 639-2/T (`fra`, `deu`, `zho`); the bibliographic form
/// 639-2/B (`fre`, `ger`, `chi`) is kept for reference and accepted on input.
public struct Language: Sendable, Equatable, Hashable {
    /// ISO 639-1, lower case (`es`).
    public let code: String
    /// ISO 639-2/T (`spa`, `fra`, `deu`): the tag written into MP4 tracks.
    public let iso639_2: String
    /// ISO 639-2/B (`fre`, `ger`); equal to `iso639_2` for most languages.
    public let iso639_2B: String
    /// English name (`Spanish`): the track title.
    public let name: String
    /// Name in the language itself.
    public let nativeName: String

    /// Looks up `es`, `ES`, `es-MX`, `es_MX`, `spa`, `fre`, or an English name (`Spanish`).
    public static func find(_ text: String) -> Language? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let base = t.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map(String.init)?.lowercased() ?? ""
        if base.count == 2, let l = byCode[base] { return l }
        if base.count == 3, let l = by639_2[base] { return l }
        let lower = t.lowercased()
        return all.first(where: { $0.name.lowercased() == lower || $0.nativeName.lowercased() == lower })
    }

    /// Validates a user-supplied language code, or throws `OlleeyError(.invalid)` with a suggestion.
    public static func validate(_ text: String) throws -> Language {
        if let l = find(text) { return l }
        let near = Suggest.closest(text.lowercased(), among: all.map(\.code) + all.map { $0.name.lowercased() })
        throw OlleeyError(.invalid, "unknown language '\(text)'",
                          hint: near.isEmpty ? "use an ISO 639-1 code such as es, fr, de"
                                             : "did you mean \(near.joined(separator: " or "))?")
    }

    /// Validates a comma-separated list (`es,fr,de`), rejecting duplicates.
    public static func validateList(_ text: String) throws -> [Language] {
        var out: [Language] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let l = try validate(part)
            if out.contains(l) { throw OlleeyError(.invalid, "language '\(part)' is listed twice") }
            out.append(l)
        }
        if out.isEmpty { throw OlleeyError(.invalid, "no language given") }
        return out
    }

    /// The ISO 639-2/T tag for a code, falling back to `und` (undetermined).
    public static func iso639_2(_ code: String) -> String { find(code)?.iso639_2 ?? "und" }

    public static let all: [Language] = [
        .init("af", "afr", "afr", "Afrikaans", "Afrikaans"),
        .init("am", "amh", "amh", "Amharic", "አማርኛ"),
        .init("ar", "ara", "ara", "Arabic", "العربية"),
        .init("az", "aze", "aze", "Azerbaijani", "Azərbaycanca"),
        .init("be", "bel", "bel", "Belarusian", "Беларуская"),
        .init("bg", "bul", "bul", "Bulgarian", "Български"),
        .init("bn", "ben", "ben", "Bengali", "বাংলা"),
        .init("bs", "bos", "bos", "Bosnian", "Bosanski"),
        .init("ca", "cat", "cat", "Catalan", "Català"),
        .init("cs", "ces", "cze", "Czech", "Čeština"),
        .init("cy", "cym", "wel", "Welsh", "Cymraeg"),
        .init("da", "dan", "dan", "Danish", "Dansk"),
        .init("de", "deu", "ger", "German", "Deutsch"),
        .init("el", "ell", "gre", "Greek", "Ελληνικά"),
        .init("en", "eng", "eng", "English", "English"),
        .init("eo", "epo", "epo", "Esperanto", "Esperanto"),
        .init("es", "spa", "spa", "Spanish", "Español"),
        .init("et", "est", "est", "Estonian", "Eesti"),
        .init("eu", "eus", "baq", "Basque", "Euskara"),
        .init("fa", "fas", "per", "Persian", "فارسی"),
        .init("fi", "fin", "fin", "Finnish", "Suomi"),
        .init("fr", "fra", "fre", "French", "Français"),
        .init("ga", "gle", "gle", "Irish", "Gaeilge"),
        .init("gl", "glg", "glg", "Galician", "Galego"),
        .init("gu", "guj", "guj", "Gujarati", "ગુજરાતી"),
        .init("he", "heb", "heb", "Hebrew", "עברית"),
        .init("hi", "hin", "hin", "Hindi", "हिन्दी"),
        .init("hr", "hrv", "hrv", "Croatian", "Hrvatski"),
        .init("hu", "hun", "hun", "Hungarian", "Magyar"),
        .init("hy", "hye", "arm", "Armenian", "Հայերեն"),
        .init("id", "ind", "ind", "Indonesian", "Bahasa Indonesia"),
        .init("is", "isl", "ice", "Icelandic", "Íslenska"),
        .init("it", "ita", "ita", "Italian", "Italiano"),
        .init("ja", "jpn", "jpn", "Japanese", "日本語"),
        .init("ka", "kat", "geo", "Georgian", "ქართული"),
        .init("kk", "kaz", "kaz", "Kazakh", "Қазақ тілі"),
        .init("km", "khm", "khm", "Khmer", "ខ្មែរ"),
        .init("kn", "kan", "kan", "Kannada", "ಕನ್ನಡ"),
        .init("ko", "kor", "kor", "Korean", "한국어"),
        .init("la", "lat", "lat", "Latin", "Latina"),
        .init("lt", "lit", "lit", "Lithuanian", "Lietuvių"),
        .init("lv", "lav", "lav", "Latvian", "Latviešu"),
        .init("mk", "mkd", "mac", "Macedonian", "Македонски"),
        .init("ml", "mal", "mal", "Malayalam", "മലയാളം"),
        .init("mn", "mon", "mon", "Mongolian", "Монгол"),
        .init("mr", "mar", "mar", "Marathi", "मराठी"),
        .init("ms", "msa", "may", "Malay", "Bahasa Melayu"),
        .init("mt", "mlt", "mlt", "Maltese", "Malti"),
        .init("my", "mya", "bur", "Burmese", "မြန်မာ"),
        .init("nb", "nob", "nob", "Norwegian Bokmål", "Norsk bokmål"),
        .init("ne", "nep", "nep", "Nepali", "नेपाली"),
        .init("nl", "nld", "dut", "Dutch", "Nederlands"),
        .init("no", "nor", "nor", "Norwegian", "Norsk"),
        .init("oc", "oci", "oci", "Occitan", "Occitan"),
        .init("pa", "pan", "pan", "Punjabi", "ਪੰਜਾਬੀ"),
        .init("pl", "pol", "pol", "Polish", "Polski"),
        .init("pt", "por", "por", "Portuguese", "Português"),
        .init("ro", "ron", "rum", "Romanian", "Română"),
        .init("ru", "rus", "rus", "Russian", "Русский"),
        .init("sk", "slk", "slo", "Slovak", "Slovenčina"),
        .init("sl", "slv", "slv", "Slovenian", "Slovenščina"),
        .init("sq", "sqi", "alb", "Albanian", "Shqip"),
        .init("sr", "srp", "srp", "Serbian", "Српски"),
        .init("sv", "swe", "swe", "Swedish", "Svenska"),
        .init("sw", "swa", "swa", "Swahili", "Kiswahili"),
        .init("ta", "tam", "tam", "Tamil", "தமிழ்"),
        .init("te", "tel", "tel", "Telugu", "తెలుగు"),
        .init("th", "tha", "tha", "Thai", "ไทย"),
        .init("tl", "tgl", "tgl", "Tagalog", "Tagalog"),
        .init("tr", "tur", "tur", "Turkish", "Türkçe"),
        .init("uk", "ukr", "ukr", "Ukrainian", "Українська"),
        .init("ur", "urd", "urd", "Urdu", "اردو"),
        .init("uz", "uzb", "uzb", "Uzbek", "Oʻzbek"),
        .init("vi", "vie", "vie", "Vietnamese", "Tiếng Việt"),
        .init("zh", "zho", "chi", "Chinese", "中文"),
        .init("zu", "zul", "zul", "Zulu", "isiZulu"),
    ]

    private init(_ code: String, _ t: String, _ b: String, _ name: String, _ native: String) {
        self.code = code; iso639_2 = t; iso639_2B = b; self.name = name; nativeName = native
    }

    private static let byCode: [String: Language] = Dictionary(all.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
    private static let by639_2: [String: Language] = {
        var d: [String: Language] = [:]
        for l in all { d[l.iso639_2] = l; if d[l.iso639_2B] == nil { d[l.iso639_2B] = l } }
        return d
    }()
}
