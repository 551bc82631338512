using System.Reflection;
using System.Text.Json.Serialization;

namespace PaliConvert.Models;

/// <summary>
/// The names the facts' enums are spelt with in files (config.json, reports): each member's
/// <see cref="JsonStringEnumMemberNameAttribute"/>, which the JSON reports use as well, so a name lives in one place.
/// </summary>
public static class EnumNames
{
    public static string Of<T>(T value) where T : struct, Enum => Table<T>.Names[value];

    /// <summary>The member spelt <paramref name="name"/>, or null.</summary>
    public static T? Parse<T>(string name) where T : struct, Enum => Table<T>.ByName.TryGetValue(name, out var v) ? v : null;

    public static IEnumerable<string> All<T>() where T : struct, Enum => Table<T>.Names.Values;

    private static class Table<T> where T : struct, Enum
    {
        public static readonly IReadOnlyDictionary<T, string> Names = Enum.GetValues<T>().ToDictionary(v => v,
            v => typeof(T).GetField(v.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? v.ToString());

        public static readonly IReadOnlyDictionary<string, T> ByName = Names.ToDictionary(kv => kv.Value, kv => kv.Key);
    }
}
