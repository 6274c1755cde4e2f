/// olleey's version: `olleey --version`, `/health`, the OpenAPI document.
public enum OlleeyVersion {
    public static let string = "0.1.0"
}
