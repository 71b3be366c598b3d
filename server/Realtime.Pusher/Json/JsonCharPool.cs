using System.Buffers;
using Newtonsoft.Json;

namespace Realtime.Pusher.Json;

/// <summary>
/// Newtonsoft's readers and writers take their character buffers from here instead of allocating
/// them per use: every Pusher frame is parsed once, and those buffers were the largest single share
/// of the relay's allocations under load (docs/performance.md).
/// </summary>
public sealed class JsonCharPool : IArrayPool<char>
{
    public static readonly JsonCharPool Shared = new();

    public char[] Rent(int minimumLength) => ArrayPool<char>.Shared.Rent(minimumLength);

    public void Return(char[]? array)
    {
        if (array is not null) ArrayPool<char>.Shared.Return(array);
    }
}
