using System.Text.Json;

namespace PaliConvert.Models;

/// <summary>
/// One object of a JSON config, read with a type check per key: a value of the wrong type is an error that names the
/// file, the key and the value, never an exception from System.Text.Json.
/// </summary>
public sealed class JsonSection(string file, string prefix, JsonElement e)
{
    public bool Has(string key) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v)
        && v.ValueKind != JsonValueKind.Null;

    private JsonElement? Get(string key) => Has(key) ? e.GetProperty(key) : null;

    private BadInputException Bad(string key, JsonElement v, string expected) =>
        new(file, $"{file}: {prefix}{key} is {Show(v)}, expected {expected}", prefix + key);

    private static string Show(JsonElement v)
    {
        string raw = v.GetRawText();
        return raw.Length > 60 ? raw[..60] + "..." : raw;
    }

    public int Int(string key, int fallback, int min = 1)
    {
        if (Get(key) is not { } v) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || d != Math.Floor(d) || d < min || d > int.MaxValue)
            throw Bad(key, v, min == 1 ? "a positive integer" : $"an integer of at least {min}");
        return (int)d;
    }

    /// <summary>A number above <paramref name="above"/> and at most <paramref name="max"/>; absent or null gives the fallback.</summary>
    public double Number(string key, double fallback, double above = 0, double max = double.MaxValue)
    {
        if (Get(key) is not { } v) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d) || d <= above || d > max)
            throw Bad(key, v, max < double.MaxValue ? $"a number above {above:G} and at most {max:G}" : $"a finite number above {above:G}");
        return d;
    }

    /// <summary>A number in a fact's range (<see cref="FactRange"/>).</summary>
    public double Number(string key, double fallback, FactRange range) => Number(key, fallback, range.Above, range.Max);

    public bool Bool(string key, bool fallback = false)
    {
        if (Get(key) is not { } v) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(key, v, "true or false"),
        };
    }

    public string String(string key, string fallback)
    {
        if (Get(key) is not { } v) return fallback;
        return v.ValueKind == JsonValueKind.String ? Formats.JsonText.String(v, $"{file}: {prefix}{key}") : throw Bad(key, v, "a string");
    }

    public string[]? Strings(string key)
    {
        if (Get(key) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
            throw Bad(key, v, "a list of strings");
        return v.EnumerateArray().Select(x => Formats.JsonText.String(x, $"{file}: {prefix}{key}")).ToArray();
    }

    /// <summary>A nested object; absent or null gives an empty section.</summary>
    public JsonSection Section(string key)
    {
        if (Get(key) is not { } v) return new JsonSection(file, $"{prefix}{key}.", default);
        if (v.ValueKind != JsonValueKind.Object) throw Bad(key, v, "an object");
        return new JsonSection(file, $"{prefix}{key}.", v);
    }

    /// <summary>Whether the key is present with JSON null (a softcap of null means none).</summary>
    public bool IsNull(string key) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v)
        && v.ValueKind == JsonValueKind.Null;

    public string Name(string key) => prefix + key;
}
