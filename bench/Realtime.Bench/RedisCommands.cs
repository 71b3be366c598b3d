using System.Net.Sockets;
using System.Text;
using Realtime.Testing;

namespace Realtime.Bench;

/// <summary>
/// One Redis command over plain RESP, for the bench's few needs (reconfigure fsync, read who
/// holds a channel lease) without a client library.
/// </summary>
public static class RedisCommands
{
    /// <summary>Runs the command; returns a bulk or simple string reply, null for a nil reply.</summary>
    public static async Task<string?> RunAsync(RedisServer redis, params string[] args)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await client.ConnectAsync(redis.Host, redis.Port, cts.Token);
        var request = new StringBuilder($"*{args.Length}\r\n");
        foreach (var a in args) request.Append($"${Encoding.UTF8.GetByteCount(a)}\r\n{a}\r\n");
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cts.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var line = await reader.ReadLineAsync(cts.Token) ?? throw new IOException("redis closed the connection");
        return line[0] switch
        {
            '+' => line[1..],
            '-' => throw new InvalidOperationException("redis: " + line[1..]),
            '$' when line == "$-1" => null,
            '$' => await reader.ReadLineAsync(cts.Token),
            ':' => line[1..],
            _ => throw new InvalidOperationException("unexpected redis reply: " + line),
        };
    }
}
