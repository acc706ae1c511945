using Microsoft.Extensions.Logging;

namespace KvStore.Host.Flags;

/// <summary>Something the flag parser has to say once logging is set up (an ignored flag, a used variable...).</summary>
internal readonly record struct StartupNote(LogLevel Level, string Message);
