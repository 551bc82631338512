namespace PaliConvert.IO;

/// <summary>The output already exists and the caller did not ask to replace it.</summary>
public sealed class OutputExistsException(string message) : IOException(message);
