using KvStore.Host.Flags;
using Microsoft.Extensions.Logging;

namespace KvStore.Host.Logging;

/// <summary>How log lines look: etcd 3.4's capnslog text lines, or its zap logger's JSON objects.</summary>
internal enum LogFormat
{
    /// <summary>capnslog's pretty format: <c>2006-01-02 15:04:05.000000 I | package: message</c>.</summary>
    Text,

    /// <summary>zap's production JSON: <c>{"level":"info","ts":"...","logger":"...","msg":"...",fields}</c>.</summary>
    Json,
}

/// <summary>
/// etcd's --logger, --log-outputs and --log-level. --logger capnslog is text and zap is JSON; without --logger the
/// format is text when every output is a terminal, JSON otherwise. Outputs are stdout, stderr, default (stderr)
/// or file paths (appended to). The checks and messages are etcd's (embed/config_logging.go).
/// </summary>
internal sealed record LogSettings
{
    public const string Default = "default";
    public const string Stdout = "stdout";
    public const string Stderr = "stderr";

    public LogLevel Level { get; init; } = LogLevel.Information;

    public LogFormat Format { get; init; } = LogFormat.Json;

    /// <summary>stdout, stderr or file paths ("default" already resolved to stderr).</summary>
    public IReadOnlyList<string> Outputs { get; init; } = [Stderr];

    /// <summary>Text when every output is a terminal (tests and pipes get JSON).</summary>
    public static LogSettings ForLevel(LogLevel level) => Resolve(level, LogFormatOfTerminals([Stderr]), [Stderr]);

    /// <summary>The settings the flags ask for; a <see cref="FlagException"/> with etcd's message when they do not fit.</summary>
    public static LogSettings FromFlags(FlagValues flags, LogLevel level)
    {
        string logger = flags[EtcdFlags.Logger];
        // etcd 3.4 still reads the deprecated --log-output when --log-outputs is not given.
        string outputText = !flags.IsSet(EtcdFlags.LogOutputs) && flags.IsSet(EtcdFlags.LogOutput)
            ? flags[EtcdFlags.LogOutput]
            : flags[EtcdFlags.LogOutputs];
        // flags.UniqueStringsFromFlag: the values sorted and without repeats.
        List<string> outputs = outputText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (outputs.Count == 0) outputs.Add(Default);
        switch (logger)
        {
            case "capnslog":
                if (outputs.Count != 1)
                {
                    string quoted = string.Join(" ", outputs.Select(o => $"\"{o}\""));
                    throw new FlagException($"--logger=capnslog supports only 1 value in '--log-outputs', got [{quoted}]");
                }
                if (outputs[0] is not (Default or Stderr or Stdout))
                {
                    throw new FlagException($"unknown log-output \"{outputs[0]}\" (only supports \"{Default}\", \"{Stderr}\", \"{Stdout}\")");
                }
                return Resolve(level, LogFormat.Text, outputs);
            case "zap":
                if (outputs.Count > 1 && outputs.Contains(Default))
                {
                    throw new FlagException($"multi logoutput for \"{Default}\" is not supported yet");
                }
                return Resolve(level, LogFormat.Json, outputs);
            case "":
                if (outputs.Count > 1 && outputs.Contains(Default))
                {
                    throw new FlagException($"multi logoutput for \"{Default}\" is not supported yet");
                }
                return Resolve(level, LogFormatOfTerminals(outputs), outputs);
            default:
                throw new FlagException($"unknown logger option \"{logger}\"");
        }
    }

    private static LogSettings Resolve(LogLevel level, LogFormat format, IEnumerable<string> outputs) => new()
    {
        Level = level,
        Format = format,
        Outputs = outputs.Select(o => o == Default ? Stderr : o).Distinct(StringComparer.Ordinal).ToList(),
    };

    private static LogFormat LogFormatOfTerminals(IEnumerable<string> outputs) =>
        outputs.All(o => o switch
        {
            Default or Stderr => !Console.IsErrorRedirected,
            Stdout => !Console.IsOutputRedirected,
            _ => false,
        })
            ? LogFormat.Text
            : LogFormat.Json;
}
