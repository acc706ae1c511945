using System.Buffers;
using System.Globalization;
using System.Text;

namespace KvStore.Grpc.Gateway;

/// <summary>
/// Go's encoding/json scanner (scanner.go) state for state, so that a body etcd's gateway refuses as JSON is refused
/// here with the same words: "invalid character 'x' looking for beginning of value", "... in literal true (expecting
/// 'r')", "unexpected EOF" for a value the body ends inside, "exceeded max depth" past 10000 levels.
/// <see cref="FindValue"/> is json.Decoder's readValue (the first value of a stream), <see cref="CheckValid"/>
/// json.Unmarshal's checkValid (a whole text). Tests: GoJsonScannerTests, the gateway rows of the hostile-input matrix
/// and the gateway decoding fuzz.
/// </summary>
internal sealed class GoJsonScanner
{
    private const int MaxNestingDepth = 10000;

    private enum Scan
    {
        Continue, BeginLiteral, BeginObject, ObjectKey, ObjectValue, EndObject, BeginArray, ArrayValue, EndArray, SkipSpace, End, Error,
    }

    private enum Step
    {
        BeginValue, BeginValueOrEmpty, BeginStringOrEmpty, BeginString, EndValue, EndTop, InString, InStringEsc,
        InStringEscU, InStringEscU1, InStringEscU12, InStringEscU123, Neg, One, Zero, Dot, Dot0, E, ESign, E0,
        T, Tr, Tru, F, Fa, Fal, Fals, N, Nu, Nul, Error,
    }

    private enum ParseState { ObjectKey, ObjectValue, ArrayValue }

    private readonly List<ParseState> _parseState = [];
    private Step _step = Step.BeginValue;
    private bool _endTop;

    /// <summary>The syntax error, once there is one.</summary>
    public string? Error { get; private set; }

    public enum Found { Value, NeedMore, Empty, Error }

    /// <summary>
    /// json.Decoder.readValue over the bytes so far: <see cref="Found.Value"/> with the value's length, or more bytes
    /// needed, or (when <paramref name="final"/>) no value at all (io.EOF), or a syntax error / "unexpected EOF".
    /// </summary>
    public static Found FindValue(ReadOnlySequence<byte> buffer, bool final, out long length, out string? error)
    {
        var s = new GoJsonScanner();
        length = 0;
        error = null;
        bool nonSpace = false;
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            foreach (byte c in segment.Span)
            {
                nonSpace |= !IsSpace(c);
                switch (s.Feed(c))
                {
                    case Scan.End:
                        return Found.Value; // scanEnd comes one byte late: that byte is not part of the value
                    case Scan.EndObject or Scan.EndArray:
                        length++;
                        if (s.EndValue((byte)' ') == Scan.End) return Found.Value;
                        continue;
                    case Scan.Error:
                        error = s.Error;
                        return Found.Error;
                }
                length++;
            }
        }
        if (!final) return Found.NeedMore;
        if (s.Feed((byte)' ') == Scan.End) return Found.Value;
        if (!nonSpace) return Found.Empty;
        error = "unexpected EOF";
        return Found.Error;
    }

    /// <summary>json.Unmarshal's checkValid: null when <paramref name="data"/> is one JSON value, else the error.</summary>
    public static string? CheckValid(ReadOnlySpan<byte> data)
    {
        var s = new GoJsonScanner();
        foreach (byte c in data)
        {
            if (s.Feed(c) == Scan.Error) return s.Error;
        }
        return s.Eof() == Scan.Error ? s.Error : null;
    }

    private Scan Eof()
    {
        if (Error is not null) return Scan.Error;
        if (_endTop) return Scan.End;
        Feed((byte)' ');
        if (_endTop) return Scan.End;
        Error ??= "unexpected end of JSON input";
        return Scan.Error;
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private static bool IsDigit(byte c) => c is >= (byte)'0' and <= (byte)'9';

    private static bool IsHex(byte c) => IsDigit(c) || c is >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private Scan Feed(byte c) => _step switch
    {
        Step.BeginValue => BeginValue(c),
        Step.BeginValueOrEmpty => IsSpace(c) ? Scan.SkipSpace : c == ']' ? EndValue(c) : BeginValue(c),
        Step.BeginStringOrEmpty => BeginStringOrEmpty(c),
        Step.BeginString => BeginString(c),
        Step.EndValue => EndValue(c),
        Step.EndTop => EndTopStep(c),
        Step.InString => InString(c),
        Step.InStringEsc => InStringEsc(c),
        Step.InStringEscU => Hex(c, Step.InStringEscU1),
        Step.InStringEscU1 => Hex(c, Step.InStringEscU12),
        Step.InStringEscU12 => Hex(c, Step.InStringEscU123),
        Step.InStringEscU123 => Hex(c, Step.InString),
        Step.Neg => c == '0' ? Go(Step.Zero) : c is >= (byte)'1' and <= (byte)'9' ? Go(Step.One) : Fail(c, "in numeric literal"),
        Step.One => IsDigit(c) ? Go(Step.One) : Zero(c),
        Step.Zero => Zero(c),
        Step.Dot => IsDigit(c) ? Go(Step.Dot0) : Fail(c, "after decimal point in numeric literal"),
        Step.Dot0 => IsDigit(c) ? Go(Step.Dot0) : c is (byte)'e' or (byte)'E' ? Go(Step.E) : EndValue(c),
        Step.E => c is (byte)'+' or (byte)'-' ? Go(Step.ESign) : ESign(c),
        Step.ESign => ESign(c),
        Step.E0 => IsDigit(c) ? Go(Step.E0) : EndValue(c),
        Step.T => Literal(c, 'r', Step.Tr, "in literal true (expecting 'r')"),
        Step.Tr => Literal(c, 'u', Step.Tru, "in literal true (expecting 'u')"),
        Step.Tru => Literal(c, 'e', Step.EndValue, "in literal true (expecting 'e')"),
        Step.F => Literal(c, 'a', Step.Fa, "in literal false (expecting 'a')"),
        Step.Fa => Literal(c, 'l', Step.Fal, "in literal false (expecting 'l')"),
        Step.Fal => Literal(c, 's', Step.Fals, "in literal false (expecting 's')"),
        Step.Fals => Literal(c, 'e', Step.EndValue, "in literal false (expecting 'e')"),
        Step.N => Literal(c, 'u', Step.Nu, "in literal null (expecting 'u')"),
        Step.Nu => Literal(c, 'l', Step.Nul, "in literal null (expecting 'l')"),
        Step.Nul => Literal(c, 'l', Step.EndValue, "in literal null (expecting 'l')"),
        _ => Scan.Error,
    };

    private Scan Go(Step next)
    {
        _step = next;
        return Scan.Continue;
    }

    private Scan BeginValue(byte c)
    {
        if (IsSpace(c)) return Scan.SkipSpace;
        switch (c)
        {
            case (byte)'{':
                _step = Step.BeginStringOrEmpty;
                return Push(c, ParseState.ObjectKey, Scan.BeginObject);
            case (byte)'[':
                _step = Step.BeginValueOrEmpty;
                return Push(c, ParseState.ArrayValue, Scan.BeginArray);
            case (byte)'"': _step = Step.InString; return Scan.BeginLiteral;
            case (byte)'-': _step = Step.Neg; return Scan.BeginLiteral;
            case (byte)'0': _step = Step.Zero; return Scan.BeginLiteral;
            case (byte)'t': _step = Step.T; return Scan.BeginLiteral;
            case (byte)'f': _step = Step.F; return Scan.BeginLiteral;
            case (byte)'n': _step = Step.N; return Scan.BeginLiteral;
        }
        if (c is >= (byte)'1' and <= (byte)'9')
        {
            _step = Step.One;
            return Scan.BeginLiteral;
        }
        return Fail(c, "looking for beginning of value");
    }

    private Scan BeginStringOrEmpty(byte c)
    {
        if (IsSpace(c)) return Scan.SkipSpace;
        if (c == '}')
        {
            _parseState[^1] = ParseState.ObjectValue;
            return EndValue(c);
        }
        return BeginString(c);
    }

    private Scan BeginString(byte c)
    {
        if (IsSpace(c)) return Scan.SkipSpace;
        if (c == '"')
        {
            _step = Step.InString;
            return Scan.BeginLiteral;
        }
        return Fail(c, "looking for beginning of object key string");
    }

    private Scan EndValue(byte c)
    {
        int n = _parseState.Count;
        if (n == 0)
        {
            _step = Step.EndTop;
            _endTop = true;
            return EndTopStep(c);
        }
        if (IsSpace(c))
        {
            _step = Step.EndValue;
            return Scan.SkipSpace;
        }
        switch (_parseState[n - 1])
        {
            case ParseState.ObjectKey:
                if (c == ':')
                {
                    _parseState[n - 1] = ParseState.ObjectValue;
                    _step = Step.BeginValue;
                    return Scan.ObjectKey;
                }
                return Fail(c, "after object key");
            case ParseState.ObjectValue:
                if (c == ',')
                {
                    _parseState[n - 1] = ParseState.ObjectKey;
                    _step = Step.BeginString;
                    return Scan.ObjectValue;
                }
                if (c == '}')
                {
                    Pop();
                    return Scan.EndObject;
                }
                return Fail(c, "after object key:value pair");
            default:
                if (c == ',')
                {
                    _step = Step.BeginValue;
                    return Scan.ArrayValue;
                }
                if (c == ']')
                {
                    Pop();
                    return Scan.EndArray;
                }
                return Fail(c, "after array element");
        }
    }

    /// <summary>stateEndTop: anything but space after the value is an error, yet the step still says scanEnd.</summary>
    private Scan EndTopStep(byte c)
    {
        if (!IsSpace(c)) Fail(c, "after top-level value");
        return Scan.End;
    }

    private Scan InString(byte c)
    {
        if (c == '"') return Go(Step.EndValue);
        if (c == '\\') return Go(Step.InStringEsc);
        return c < 0x20 ? Fail(c, "in string literal") : Scan.Continue;
    }

    private Scan InStringEsc(byte c) => c switch
    {
        (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t' or (byte)'\\' or (byte)'/' or (byte)'"' => Go(Step.InString),
        (byte)'u' => Go(Step.InStringEscU),
        _ => Fail(c, "in string escape code"),
    };

    private Scan Hex(byte c, Step next) => IsHex(c) ? Go(next) : Fail(c, "in \\u hexadecimal character escape");

    private Scan Zero(byte c)
    {
        if (c == '.') return Go(Step.Dot);
        if (c is (byte)'e' or (byte)'E') return Go(Step.E);
        return EndValue(c);
    }

    private Scan ESign(byte c) => IsDigit(c) ? Go(Step.E0) : Fail(c, "in exponent of numeric literal");

    private Scan Literal(byte c, char expected, Step next, string context) => c == expected ? Go(next) : Fail(c, context);

    private Scan Push(byte c, ParseState state, Scan success)
    {
        _parseState.Add(state);
        return _parseState.Count <= MaxNestingDepth ? success : Fail(c, "exceeded max depth");
    }

    private void Pop()
    {
        _parseState.RemoveAt(_parseState.Count - 1);
        if (_parseState.Count == 0)
        {
            _step = Step.EndTop;
            _endTop = true;
        }
        else
        {
            _step = Step.EndValue;
        }
    }

    private Scan Fail(byte c, string context)
    {
        _step = Step.Error;
        Error = $"invalid character {QuoteChar(c)} {context}";
        return Scan.Error;
    }

    /// <summary>Go's quoteChar: the byte as a rune (Latin-1), quoted as strconv.Quote would, in single quotes.</summary>
    internal static string QuoteChar(byte c)
    {
        if (c == '\'') return @"'\''";
        if (c == '"') return "'\"'";
        string inner = c switch
        {
            0x07 => @"\a",
            0x08 => @"\b",
            0x0c => @"\f",
            (byte)'\n' => @"\n",
            (byte)'\r' => @"\r",
            (byte)'\t' => @"\t",
            0x0b => @"\v",
            (byte)'\\' => @"\\",
            < 0x20 or 0x7f => $@"\x{c:x2}",
            >= 0x80 and <= 0xa0 or 0xad => $@"\u{c:x4}",
            _ => ((char)c).ToString(),
        };
        return $"'{inner}'";
    }
}
