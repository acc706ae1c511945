namespace KvStore.Server.DataDir;

/// <summary>
/// A data dir the member cannot use (a damaged database, member record or Raft log, an etcd data dir it cannot
/// import), with the one-line message the host prints before it exits.
/// </summary>
public sealed class DataDirException(string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>
    /// Runs <paramref name="open"/>; any failure becomes "<paramref name="what"/> (its message)", as etcd's
    /// "cannot open database at D (invalid database)".
    /// </summary>
    internal static T Wrap<T>(Func<T> open, string what)
    {
        try
        {
            return open();
        }
        catch (Exception e) when (e is not (DataDirException or OutOfMemoryException))
        {
            throw new DataDirException($"{what} ({OneLine(e.GetBaseException().Message)})", e);
        }
    }

    /// <summary>The asynchronous <see cref="Wrap{T}"/>; cancellation passes through.</summary>
    internal static async Task WrapAsync(Func<Task> open, string what)
    {
        try
        {
            await open().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (DataDirException or OperationCanceledException or OutOfMemoryException))
        {
            throw new DataDirException($"{what} ({OneLine(e.GetBaseException().Message)})", e);
        }
    }

    /// <summary>The asynchronous <see cref="Wrap{T}"/> with a result; cancellation passes through.</summary>
    internal static async Task<T> WrapAsync<T>(Func<Task<T>> open, string what)
    {
        try
        {
            return await open().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (DataDirException or OperationCanceledException or OutOfMemoryException))
        {
            throw new DataDirException($"{what} ({OneLine(e.GetBaseException().Message)})", e);
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").TrimEnd('.', ' ');
}
