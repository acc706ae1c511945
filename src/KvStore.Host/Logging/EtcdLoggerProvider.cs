using Microsoft.Extensions.Logging;

namespace KvStore.Host.Logging;

/// <summary>
/// Writes every log event as one line (<see cref="LogLineFormatter"/>) to each of the outputs of
/// <see cref="LogSettings"/>, synchronously: a line is out before the call returns, so the last line before an
/// exit (a startup error) is never lost. Exception stack traces only at --log-level debug.
/// </summary>
internal sealed class EtcdLoggerProvider : ILoggerProvider
{
    private readonly LogSettings _settings;
    private readonly List<TextWriter> _outputs = [];
    private readonly List<TextWriter> _owned = [];
    private readonly Lock _writing = new();

    public EtcdLoggerProvider(LogSettings settings)
    {
        _settings = settings;
        foreach (string output in settings.Outputs)
        {
            switch (output)
            {
                case LogSettings.Stderr:
                    _outputs.Add(Console.Error);
                    break;
                case LogSettings.Stdout:
                    _outputs.Add(Console.Out);
                    break;
                default:
                    var file = new StreamWriter(OpenSink(output)) { AutoFlush = true };
                    _outputs.Add(file);
                    _owned.Add(file);
                    break;
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>A log file, appended to; a file that cannot be opened is a flag error with zap's words (etcd: "open sink ...").</summary>
    private static FileStream OpenSink(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string reason = e switch
            {
                DirectoryNotFoundException or FileNotFoundException => "no such file or directory",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            };
            throw new Flags.FlagException($"open sink \"{path}\": open {path}: {reason}");
        }
    }

    public void Dispose()
    {
        lock (_writing)
        {
            foreach (TextWriter file in _owned) file.Dispose();
            _owned.Clear();
            _outputs.Clear();
        }
    }

    private void Write(string line)
    {
        lock (_writing)
        {
            foreach (TextWriter output in _outputs)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
    }

    private sealed class Logger(EtcdLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            LogSettings settings = provider._settings;
            string line = LogLineFormatter.Format(settings.Format, DateTimeOffset.Now, logLevel, category, state, exception,
                formatter(state, exception), withStackTrace: settings.Level <= LogLevel.Debug);
            provider.Write(line);
        }
    }
}
