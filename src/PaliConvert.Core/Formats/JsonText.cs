using System.Text.Json;
using System.Text.Unicode;

namespace PaliConvert.Formats;

/// <summary>
/// JSON read as hostile text: strict UTF-8, a nesting limit, and strings that cannot be decoded (lone surrogate escapes)
/// reported as bad data naming the file, never as System.Text.Json's own exceptions.
/// </summary>
public static class JsonText
{
    public static JsonDocument Parse(ReadOnlyMemory<byte> bytes, string where, int maxDepth = 16)
    {
        if (!Utf8.IsValid(bytes.Span)) throw new BadInputException(where, $"{where}: not valid UTF-8");
        try { return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = maxDepth }); }
        catch (JsonException e) { throw new BadInputException(where, $"{where}: not valid JSON: {e.Message}"); }
    }

    /// <summary>A JSON object file's bytes, read as a regular file and checked to parse as an object.</summary>
    public static byte[] Checked(string path)
    {
        var bytes = Tensors.RegularFile.ReadAllBytes(path);
        using var doc = Parse(bytes, path, maxDepth: 64);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new BadInputException(path, $"{path}: not a JSON object");
        return bytes;
    }

    /// <summary>A string value, or bad data naming <paramref name="where"/>.</summary>
    public static string String(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.String) throw new BadInputException(where, $"{where}: {Show(e)} is not a string");
        try { return e.GetString()!; }
        catch (InvalidOperationException) { throw new BadInputException(where, $"{where}: a string that is not valid UTF-16 text"); }
    }

    public static string Show(JsonElement e)
    {
        string raw = e.GetRawText();
        return raw.Length > 60 ? raw[..60] + "..." : raw;
    }
}
