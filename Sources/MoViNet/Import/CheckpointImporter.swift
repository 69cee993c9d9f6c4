// Placeholder until the TF tensor-bundle importer lands (issue 4).

public enum CheckpointImporter {
    public static func load(path: String) throws -> ImportedModel {
        throw ModelError(path, "TF checkpoint import is not available in this build")
    }
}
