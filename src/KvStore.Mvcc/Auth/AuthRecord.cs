using System.Buffers.Binary;
using Authpb;
using Google.Protobuf;
using KvStore.Storage;

namespace KvStore.Mvcc.Auth;

/// <summary>
/// The auth store's data as the engine keeps it: one record at <see cref="Key"/> (etcd's auth, authUsers and authRoles
/// buckets in one value), written by the auth store in a command's write transaction, carried by snapshots and the
/// bbolt backup as opaque bytes. The engine never reads it for itself. Tested by AuthTests.
/// </summary>
public sealed record AuthRecord(bool Enabled, ulong Revision, IReadOnlyList<User> Users, IReadOnlyList<Role> Roles)
{
    /// <summary>Where the engine keeps the record (outside the key history: negative main revision).</summary>
    public static readonly Revision Key = new(-3, 0);

    /// <summary>A new store's auth data: disabled, auth revision 1 (etcd's NewAuthStore), nobody.</summary>
    public static AuthRecord Empty { get; } = new(false, 1, [], []);

    /// <summary>Enabled, revision, then length-prefixed users and roles (each in name order).</summary>
    public byte[] Encode()
    {
        using var ms = new MemoryStream();
        Span<byte> b = stackalloc byte[8];
        ms.WriteByte(Enabled ? (byte)1 : (byte)0);
        BinaryPrimitives.WriteUInt64LittleEndian(b, Revision);
        ms.Write(b);
        WriteList(ms, Users.Select(u => u.ToByteArray()).ToList());
        WriteList(ms, Roles.Select(r => r.ToByteArray()).ToList());
        return ms.ToArray();
    }

    /// <summary>The record written by <see cref="Encode"/>; <see cref="Empty"/> when the store has none.</summary>
    public static AuthRecord Decode(byte[]? record)
    {
        if (record is null) return Empty;
        int offset = 9;
        var users = ReadList(record, ref offset).Select(User.Parser.ParseFrom).ToList();
        var roles = ReadList(record, ref offset).Select(Role.Parser.ParseFrom).ToList();
        return new AuthRecord(record[0] == 1, BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(1)), users, roles);
    }

    private static void WriteList(Stream s, List<byte[]> items)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, items.Count);
        s.Write(len);
        foreach (byte[] item in items)
        {
            BinaryPrimitives.WriteInt32LittleEndian(len, item.Length);
            s.Write(len);
            s.Write(item);
        }
    }

    private static List<byte[]> ReadList(byte[] record, ref int offset)
    {
        int count = BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(offset));
        offset += 4;
        var items = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(offset));
            offset += 4;
            items.Add(record.AsSpan(offset, length).ToArray());
            offset += length;
        }
        return items;
    }
}
