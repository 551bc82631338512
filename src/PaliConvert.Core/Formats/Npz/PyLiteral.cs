using System.Globalization;

namespace PaliConvert.Formats.Npz;

/// <summary>
/// Parses the small Python literal an .npy header holds: a dict of strings, booleans, integer tuples and (for
/// structured dtypes, which are then refused) lists. Nothing is evaluated.
/// </summary>
internal sealed class PyLiteral
{
    private readonly string _s;
    private readonly string _where;
    private int _p, _depth;

    /// <summary>An .npy header nests a dict, a shape tuple and (refused) structured lists: a few levels, never hundreds.</summary>
    private const int MaxDepth = 16;

    private PyLiteral(string s, string where) { _s = s; _where = where; }

    public static Dictionary<string, object> ParseDict(string s, string where)
    {
        var p = new PyLiteral(s, where);
        var v = p.Value();
        p.Skip();
        if (p._p != s.Length || v is not Dictionary<string, object> d) throw p.Fail("expected a dict");
        return d;
    }

    private object Value()
    {
        Skip();
        if (_p >= _s.Length) throw Fail("unexpected end");
        char c = _s[_p];
        if ((c is '{' or '(' or '[') && ++_depth > MaxDepth) throw Fail($"nested deeper than {MaxDepth} levels");
        if (c == '{') return Dict();
        if (c == '(' || c == '[') return Sequence(c == '(' ? ')' : ']');
        if (c == '\'' || c == '"') return Str();
        if (Word("True")) return true;
        if (Word("False")) return false;
        if (char.IsDigit(c) || c == '-') return Int();
        throw Fail($"unexpected '{c}'");
    }

    private Dictionary<string, object> Dict()
    {
        _p++;
        var d = new Dictionary<string, object>();
        while (true)
        {
            Skip();
            if (Eat('}')) { _depth--; return d; }
            if (Value() is not string key) throw Fail("dict keys must be strings");
            Skip();
            if (!Eat(':')) throw Fail("expected ':'");
            if (!d.TryAdd(key, Value())) throw Fail($"key '{key}' repeated");
            Skip();
            if (Eat('}')) { _depth--; return d; }
            if (!Eat(',')) throw Fail("expected ',' or '}'");
        }
    }

    /// <summary>Tuples of ints become List&lt;long&gt;; anything else (a structured dtype's list) List&lt;object&gt;.</summary>
    private object Sequence(char close)
    {
        _p++;
        var items = new List<object>();
        while (true)
        {
            Skip();
            if (Eat(close)) break;
            items.Add(Value());
            Skip();
            if (Eat(close)) break;
            if (!Eat(',')) throw Fail($"expected ',' or '{close}'");
        }
        _depth--;
        return close == ')' && items.All(i => i is long) ? items.Cast<long>().ToList() : items;
    }

    private string Str()
    {
        char q = _s[_p++];
        int end = _s.IndexOf(q, _p);
        if (end < 0) throw Fail("unterminated string");
        var v = _s[_p..end];
        _p = end + 1;
        return v;
    }

    private long Int()
    {
        int start = _p;
        if (_s[_p] == '-') _p++;
        while (_p < _s.Length && char.IsDigit(_s[_p])) _p++;
        if (_p < _s.Length && _s[_p] == 'L') _p++; // Python 2 longs in old files
        var digits = _s[start.._p].TrimEnd('L');
        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            throw Fail($"bad integer '{digits}'");
        return v;
    }

    private bool Word(string w)
    {
        if (string.CompareOrdinal(_s, _p, w, 0, w.Length) != 0) return false;
        _p += w.Length;
        return true;
    }

    private bool Eat(char c)
    {
        if (_p < _s.Length && _s[_p] == c) { _p++; return true; }
        return false;
    }

    private void Skip() { while (_p < _s.Length && char.IsWhiteSpace(_s[_p])) _p++; }

    private BadInputException Fail(string why)
    {
        string text = _s.Trim();
        return new(_where, $"{_where}: malformed .npy header ({why} at character {_p}): " +
            $"{(text.Length > 200 ? text[..200] + "..." : text)}");
    }
}
