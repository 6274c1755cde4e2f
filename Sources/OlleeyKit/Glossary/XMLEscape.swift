import Foundation
import WebVTT

// The XML reader lives in the WebVTT library (`WebVTT/XMLReader.swift`); these names keep the
// glossary code's spelling of it.
typealias XMLReader = WebVTT.XMLReader
typealias XMLElementNode = WebVTT.XMLElementNode
typealias XMLNode = WebVTT.XMLNode
typealias XMLSyntaxError = WebVTT.XMLSyntaxError

/// Writing XML text and attribute values.
enum XMLEscape {
    static func text(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(ch)
            }
        }
        return out
    }

    static func attribute(_ s: String) -> String {
        text(s).replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "\n", with: "&#10;")
    }
}
