using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>
/// resource.Quantity's canonical String(), which the HPA targets column prints: the value rounded up to nano units,
/// kept in its format (binary "Ki..Ei", decimal "n..E", exponent "eN"), with the largest suffix that leaves an
/// integer mantissa ("1000m" -> "1", "0.5" -> "500m", "2048Mi" -> "2Gi", "1536" -> "1536", "512Ki" stays,
/// a binary value under 1024 or not whole prints as decimal).
/// </summary>
internal static class Quantity
{
    private enum Kind { DecimalSI, BinarySI, DecimalExponent }

    private static readonly (string Suffix, int Exp)[] Decimal =
        [("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)];

    private static readonly string[] Binary = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    /// <summary>The canonical text of a quantity field (a JSON string, or a number as some clients send);
    /// the raw text when it does not parse.</summary>
    public static string Canonical(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Canonical(v.GetValue<string>()),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => Canonical(v.ToJsonString()),
        _ => "0",
    };

    public static string Canonical(string text)
    {
        if (!TryParse(text.Trim(), out var units, out var kind))
            return text;
        // units: the value in nano (1e-9) units, already rounded up.
        if (units.IsZero)
            return "0";
        var sign = units.Sign < 0 ? "-" : "";
        var abs = BigInteger.Abs(units);
        var nano = BigInteger.Pow(10, 9);
        if (kind == Kind.BinarySI)
        {
            if (abs < 1024 * nano || !(abs % nano).IsZero)
                kind = Kind.DecimalSI;
            else
            {
                var whole = abs / nano;
                var i = 0;
                while (i < Binary.Length - 1 && (whole % 1024).IsZero)
                {
                    whole /= 1024;
                    i++;
                }
                return sign + whole.ToString(CultureInfo.InvariantCulture) + Binary[i];
            }
        }
        // Largest exponent (multiple of 3, from -9) that leaves an integer mantissa.
        var mantissa = abs;
        var exp = -9;
        while ((mantissa % 1000).IsZero && exp < 18)
        {
            mantissa /= 1000;
            exp += 3;
        }
        var number = sign + mantissa.ToString(CultureInfo.InvariantCulture);
        if (kind == Kind.DecimalExponent)
            return exp == 0 ? number : $"{number}e{exp}";
        return number + Decimal.First(d => d.Exp == exp).Suffix;
    }

    private static bool TryParse(string s, out BigInteger nanoUnits, out Kind kind)
    {
        nanoUnits = default;
        kind = Kind.DecimalSI;
        var i = 0;
        var negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
            negative = s[i++] == '-';
        var start = i;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            i++;
        var num = s[start..i];
        if (num.Length == 0 || num.Count(c => c == '.') > 1 || num == ".")
            return false;
        var suffix = s[i..];
        int exp10;
        var pow2 = 0;
        var bin = Array.IndexOf(Binary, suffix);
        if (suffix.Length > 0 && bin > 0)
        {
            kind = Kind.BinarySI;
            exp10 = 0;
            pow2 = bin * 10;
        }
        else if (Array.FindIndex(Decimal, d => d.Suffix == suffix) is var di && di >= 0)
        {
            exp10 = Decimal[di].Exp;
        }
        else if (suffix.Length > 1 && (suffix[0] == 'e' || suffix[0] == 'E')
                 && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e) && Math.Abs(e) < 100)
        {
            kind = Kind.DecimalExponent;
            exp10 = e;
        }
        else
            return false;

        var dot = num.IndexOf('.');
        var digits = dot < 0 ? num : num.Remove(dot, 1);
        var fraction = dot < 0 ? 0 : num.Length - dot - 1;
        if (digits.Length == 0)
            return false;
        var value = BigInteger.Parse(digits, CultureInfo.InvariantCulture) * BigInteger.Pow(2, pow2);
        // value * 10^(exp10 - fraction) in nano units: * 10^(exp10 - fraction + 9), rounding up (away from zero).
        var shift = exp10 - fraction + 9;
        if (shift >= 0)
            nanoUnits = value * BigInteger.Pow(10, shift);
        else
        {
            var div = BigInteger.Pow(10, -shift);
            nanoUnits = BigInteger.DivRem(value, div, out var rem);
            if (!rem.IsZero)
                nanoUnits += 1;
        }
        if (negative)
            nanoUnits = -nanoUnits;
        return true;
    }
}
