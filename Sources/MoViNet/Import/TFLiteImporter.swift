// Placeholder until the TFLite importer lands (issue 3).

public enum TFLiteImporter {
    public static func load(path: String) throws -> ImportedModel {
        throw ModelError(path, "TFLite import is not available in this build")
    }
}
