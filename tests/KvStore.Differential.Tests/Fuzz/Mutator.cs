namespace KvStore.Differential.Tests.Fuzz;

/// <summary>Seeded byte mutations of a valid message (or random bytes): what a broken or hostile client sends.</summary>
internal sealed class Mutator(Random rnd)
{
    /// <summary>Varints that overflow lengths and indices, and the boundaries of Go's int.</summary>
    private static readonly byte[][] Varints =
    [
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],       // 2^63 - 1
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 2^64 - 1 (-1)
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // eleven bytes
        [0xff, 0xff, 0xff, 0xff, 0x0f],
        [0x7f],
        [0x00],
    ];

    public byte[] Random(int maxLength)
    {
        var b = new byte[rnd.Next(maxLength + 1)];
        rnd.NextBytes(b);
        return b;
    }

    /// <summary>One to three mutations of <paramref name="valid"/>.</summary>
    public byte[] Mutate(byte[] valid)
    {
        var b = new List<byte>(valid);
        for (int n = rnd.Next(1, 4); n > 0; n--)
        {
            int at = b.Count == 0 ? 0 : rnd.Next(b.Count);
            switch (rnd.Next(9))
            {
                case 0 when b.Count > 0: b[at] ^= (byte)(1 << rnd.Next(8)); break;
                case 1 when b.Count > 0: b[at] = (byte)rnd.Next(256); break;
                case 2: b.InsertRange(at, Random(3)); break;
                case 3 when b.Count > 0: b.RemoveRange(at, Math.Min(b.Count - at, 1 + rnd.Next(3))); break;
                case 4: b.RemoveRange(at, b.Count - at); break;
                case 5 when b.Count > 0:
                    int len = Math.Min(b.Count - at, 1 + rnd.Next(8));
                    b.InsertRange(rnd.Next(b.Count + 1), b.GetRange(at, len));
                    break;
                case 6: b.InsertRange(at, Varints[rnd.Next(Varints.Length)]); break;
                case 7: b.InsertRange(at, [(byte)((rnd.Next(1, 20) << 3) | rnd.Next(8))]); break; // a tag of any wire type
                default: b.AddRange(Random(4)); break;
            }
        }
        return [.. b];
    }

    /// <summary>One to three text mutations of a JSON body.</summary>
    public string MutateJson(string valid)
    {
        const string alphabet = "{}[]\":,0123456789-+.eEtrufalsn \\/aYQ=";
        string[] values = ["5", "-1", "1e3", "true", "null", "[]", "{}", "\"\"", "\"YQ==\"", "\"!!\"", "\"9223372036854775808\"", "1.5"];
        var s = new System.Text.StringBuilder(valid);
        for (int n = rnd.Next(1, 4); n > 0; n--)
        {
            int at = s.Length == 0 ? 0 : rnd.Next(s.Length);
            switch (rnd.Next(6))
            {
                case 0 when s.Length > 0: s.Remove(at, 1); break;
                case 1: s.Insert(at, alphabet[rnd.Next(alphabet.Length)]); break;
                case 2 when s.Length > 0: s[at] = alphabet[rnd.Next(alphabet.Length)]; break;
                case 3: s.Length = at; break;
                case 4 when s.Length > 0:
                    int len = Math.Min(s.Length - at, 1 + rnd.Next(12));
                    s.Insert(rnd.Next(s.Length + 1), s.ToString(at, len));
                    break;
                default:
                    // a value after a colon replaced by a value of another type
                    int colon = s.ToString().IndexOf(':', at);
                    if (colon < 0) break;
                    int end = colon + 1;
                    while (end < s.Length && s[end] is not (',' or '}' or ']')) end++;
                    s.Remove(colon + 1, end - colon - 1).Insert(colon + 1, values[rnd.Next(values.Length)]);
                    break;
            }
        }
        return s.ToString();
    }
}
