// swift-tools-version:6.0
// olleey: video localization toolkit. No package dependencies: system libraries only.
import PackageDescription

let package = Package(
    name: "olleey",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "olleey", targets: ["olleey"]),
        .library(name: "WebVTT", targets: ["WebVTT"]),
        .library(name: "OlleeyHTTP", targets: ["OlleeyHTTP"]),
        .library(name: "OlleeyKit", targets: ["OlleeyKit"]),
        .library(name: "OlleeyServer", targets: ["OlleeyServer"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // libpq's header only: the library is loaded with dlopen when a PostgreSQL store is opened (shim.h)
        .systemLibrary(name: "CPostgreSQL", path: "Sources/CPostgreSQL", providers: [.apt(["libpq-dev"])]),
        // epoll, sendfile, accept4, pipe2 for the HTTP server (Linux; glibc)
        .systemLibrary(name: "CLinuxIO", path: "Sources/CLinuxIO"),
        .target(name: "WebVTT", path: "Sources/WebVTT"),
        .target(name: "OlleeyHTTP", dependencies: ["CLinuxIO", "COpenSSL"], path: "Sources/OlleeyHTTP"),
        .target(name: "OlleeyKit", dependencies: ["WebVTT", "CSQLite", "CPostgreSQL", "COpenSSL", "OlleeyHTTP"], path: "Sources/OlleeyKit"),
        .target(name: "OlleeyServer", dependencies: ["OlleeyKit", "OlleeyHTTP"], path: "Sources/OlleeyServer"),
        .target(name: "OlleeyCLI", dependencies: ["OlleeyServer", "OlleeyKit", "OlleeyHTTP", "WebVTT"], path: "Sources/OlleeyCLI"),
        .executableTarget(name: "olleey", dependencies: ["OlleeyCLI"], path: "Sources/olleey"),
        .executableTarget(name: "olleey-bench-db", dependencies: ["OlleeyKit", "CSQLite"], path: "Sources/olleey-bench-db"),
        .target(name: "OlleeyTestSupport", path: "Tests/OlleeyTestSupport"),
        .testTarget(name: "WebVTTTests", dependencies: ["WebVTT"], path: "Tests/WebVTTTests"),
        // test stand-ins (a call-recording FakeMedia, a FakeSpeaker): used by test targets only
        .target(name: "OlleeyTestFakes", dependencies: ["OlleeyKit"], path: "Tests/OlleeyTestFakes"),
        .testTarget(name: "OlleeyHTTPTests", dependencies: ["OlleeyHTTP", "OlleeyTestSupport"], path: "Tests/OlleeyHTTPTests"),
        .testTarget(name: "OlleeyKitTests", dependencies: ["OlleeyKit", "CSQLite", "OlleeyTestSupport", "OlleeyTestFakes"], path: "Tests/OlleeyKitTests"),
        .testTarget(name: "OlleeyServerTests", dependencies: ["OlleeyServer", "OlleeyHTTP", "OlleeyKit", "OlleeyTestSupport"], path: "Tests/OlleeyServerTests"),
        .testTarget(name: "OlleeyCLITests", dependencies: ["OlleeyCLI", "OlleeyKit", "OlleeyTestSupport"], path: "Tests/OlleeyCLITests"),
        .testTarget(name: "EndToEndTests", dependencies: ["OlleeyTestSupport"], path: "Tests/EndToEndTests", exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
