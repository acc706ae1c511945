namespace KvStore.Host.Startup;

/// <summary>
/// etcd's first look at --data-dir (etcdmain's identifyDataDirOrDie, then fileutil.TouchDirAll in NewServer): the
/// directory must be listable when it exists, is created with mode 0700 (and its parents) when it does not, and
/// must be writable. Failures carry etcd's words; tested against etcd 3.4 by StartupErrorTests.
/// </summary>
internal static class DataDirCheck
{
    /// <summary>Null when <paramref name="dir"/> is ready, else the error etcd prints.</summary>
    public static string? Prepare(string dir)
    {
        int listed = Posix.ListDir(dir);
        if (listed != 0 && listed != Posix.ENOENT)
        {
            return $"error listing data dir: {dir} (open {dir}: {Posix.ErrorText(listed)})";
        }
        if (listed == Posix.ENOENT && MkdirAll(dir) is { } mkdirError)
        {
            return "cannot access data directory: " + mkdirError;
        }
        string touch = Path.Combine(dir, ".touch");
        int touched = Posix.Touch(touch);
        return touched == 0 ? null : $"cannot access data directory: open {touch}: {Posix.ErrorText(touched)}";
    }

    /// <summary>Go's os.MkdirAll: the parents first; the error names the directory that could not be made.</summary>
    private static string? MkdirAll(string dir)
    {
        dir = dir.TrimEnd('/');
        if (dir.Length == 0 || Directory.Exists(dir)) return null;
        if (File.Exists(dir)) return $"mkdir {dir}: {Posix.ErrorText(Posix.ENOTDIR)}";
        string? parent = Path.GetDirectoryName(dir);
        if (!string.IsNullOrEmpty(parent) && MkdirAll(parent) is { } parentError) return parentError;
        int made = Posix.Mkdir(dir);
        if (made == 0 || (made == Posix.EEXIST && Directory.Exists(dir))) return null;
        return $"mkdir {dir}: {Posix.ErrorText(made)}";
    }
}
