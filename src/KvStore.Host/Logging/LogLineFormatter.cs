using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace KvStore.Host.Logging;

/// <summary>
/// One log event as one line, in etcd 3.4's formats: capnslog's text (local time, level letter, package, message)
/// or zap's JSON (level, ts in UTC, logger, msg, then the message's named values as kebab-case fields and the
/// exception as "error"). Tested by LogLineFormatterTests.
/// </summary>
internal static class LogLineFormatter
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Format<TState>(LogFormat format, DateTimeOffset now, LogLevel level, string category, TState state,
        Exception? exception, string message, bool withStackTrace) =>
        format == LogFormat.Text
            ? Text(now, level, category, message, exception, withStackTrace)
            : Json(now, level, category, state, message, exception, withStackTrace);

    /// <summary>capnslog.PrettyFormatter: <c>2006-01-02 15:04:05.000000 I | pkg: message</c>.</summary>
    private static string Text(DateTimeOffset now, LogLevel level, string category, string message, Exception? exception, bool withStackTrace)
    {
        var line = new StringBuilder(64 + message.Length);
        line.Append(now.LocalDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture))
            .Append(' ').Append(LevelLetter(level)).Append(" | ").Append(Package(category)).Append(": ").Append(message);
        if (exception is not null)
        {
            line.Append(" (").Append(OneLine(exception.Message)).Append(')');
            if (withStackTrace) line.Append('\n').Append(exception);
        }
        return line.ToString();
    }

    private static string Json<TState>(DateTimeOffset now, LogLevel level, string category, TState state, string message, Exception? exception,
        bool withStackTrace)
    {
        var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("level", LevelName(level));
            json.WriteString("ts", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("logger", category);
            json.WriteString("msg", message);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                string? template = values.Count > 0 && values[^1].Key == "{OriginalFormat}" ? values[^1].Value as string : null;
                foreach ((string key, object? value) in values)
                {
                    if (key == "{OriginalFormat}") continue;
                    // A value the message formats ({MemberId:x16}) is written as the message shows it.
                    if (template is not null && HoleFormat(template, key) is { } format && value is IFormattable formattable)
                    {
                        json.WriteString(FieldName(key), formattable.ToString(format, CultureInfo.InvariantCulture));
                        continue;
                    }
                    WriteField(json, FieldName(key), value);
                }
            }
            if (exception is not null)
            {
                json.WriteString("error", OneLine(exception.Message));
                if (withStackTrace) json.WriteString("stacktrace", exception.ToString());
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteField(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(name);
                break;
            case bool b:
                json.WriteBoolean(name, b);
                break;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                json.WritePropertyName(name);
                json.WriteRawValue(Convert.ToString(value, CultureInfo.InvariantCulture)!);
                break;
            case double or float or decimal:
                json.WriteNumber(name, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case TimeSpan t:
                json.WriteString(name, GoDuration(t));
                break;
            case string s:
                json.WriteString(name, s);
                break;
            case System.Collections.IEnumerable list:
                json.WriteStartArray(name);
                foreach (object? item in list) json.WriteStringValue(Convert.ToString(item, CultureInfo.InvariantCulture));
                json.WriteEndArray();
                break;
            default:
                json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>The format of the hole {name:format} in a message template, or null.</summary>
    private static string? HoleFormat(string template, string name)
    {
        int at = template.IndexOf("{" + name + ":", StringComparison.Ordinal);
        if (at < 0) return null;
        int start = at + name.Length + 2;
        int end = template.IndexOf('}', start);
        return end > start ? template[start..end] : null;
    }

    /// <summary>zap's level names (etcd's --log-level words).</summary>
    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        _ => "fatal",
    };

    /// <summary>capnslog's level letters.</summary>
    private static char LevelLetter(LogLevel level) => level switch
    {
        LogLevel.Trace => 'T',
        LogLevel.Debug => 'D',
        LogLevel.Information => 'I',
        LogLevel.Warning => 'W',
        LogLevel.Error => 'E',
        _ => 'C',
    };

    /// <summary>The package name of the text format: kvstore's own categories as they are, a library's last segment (RaftCluster, Kestrel).</summary>
    private static string Package(string category)
    {
        if (category.StartsWith("kvstore", StringComparison.Ordinal)) return category;
        int dot = category.LastIndexOf('.');
        return dot >= 0 ? category[(dot + 1)..] : category;
    }

    /// <summary>A message value's name as etcd writes its fields: DataDir -> data-dir, MemberId -> member-id.</summary>
    public static string FieldName(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0
                    && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                if (boundary) text.Append('-');
                text.Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>Go's time.Duration.String for whole milliseconds and up (1.5s, 100ms, 1m0s).</summary>
    private static string GoDuration(TimeSpan t)
    {
        if (t < TimeSpan.FromSeconds(1)) return $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";
        var text = new StringBuilder();
        if (t.TotalHours >= 1) text.Append((long)t.TotalHours).Append('h');
        if (t.TotalMinutes >= 1) text.Append(t.Minutes).Append('m');
        text.Append((t.Seconds + t.Milliseconds / 1000.0).ToString(CultureInfo.InvariantCulture)).Append('s');
        return text.ToString();
    }
}
