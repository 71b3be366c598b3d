using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;
using Realtime.Relay.Tests.Support;

namespace Realtime.Relay.Tests.Inbox;

/// <summary>A client that goes away (a stream, a held poll) is not a server error: no 500, nothing logged as an error.</summary>
public sealed class StreamAbortTests : IDisposable
{
    private const string ClientGoneHeader = "X-Test-Client-Gone";
    private readonly CapturedLog _log = new();
    private readonly RelayFactory _relay;
    private readonly InboxHarness _inbox;

    public StreamAbortTests()
    {
        _relay = new RelayFactory(services: services =>
        {
            services.AddSingleton<ILogEventSink>(_log);
            services.AddSingleton<IStartupFilter, ClientGoneBeforeTheAnswer>();
        });
        _inbox = new InboxHarness(_relay);
    }

    /// <summary>
    /// What Kestrel does when the client closes its connection: RequestAborted is cancelled, and
    /// a flush given that token throws OperationCanceledException (the test server's flush
    /// ignores the token, so the body here does as Kestrel's does). The client is gone before
    /// the request reaches the relay, so the stream's first flush meets it.
    /// </summary>
    private sealed class ClientGoneBeforeTheAnswer : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, inner) =>
            {
                if (http.Request.Headers.ContainsKey(ClientGoneHeader))
                {
                    http.RequestAborted = new CancellationToken(canceled: true);
                    http.Response.Body = new FlushHonoursCancellation(http.Response.Body);
                }
                return inner(http);
            });
            next(app);
        };
    }

    private sealed class FlushHonoursCancellation(Stream inner) : Stream
    {
        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return inner.FlushAsync(cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }

    [Fact]
    public async Task A_stream_dropped_before_its_first_flush_is_not_logged_as_an_error()
    {
        var (client, http) = await _inbox.NewClientAsync();
        using var res = await GetAsAGoneClientAsync(http, client.BasePath + "/stream");

        Assert.True((int)res.StatusCode < 500, $"answered {(int)res.StatusCode}");
        Assert.Empty(_log.AtLeast(LogEventLevel.Error));
    }

    [Fact]
    public async Task A_poll_whose_client_goes_away_while_it_is_held_is_not_a_server_error()
    {
        var (client, http) = await _inbox.NewClientAsync();
        using var res = await GetAsAGoneClientAsync(http, client.BasePath + "/events?wait=20");

        Assert.Equal(499, (int)res.StatusCode);
        Assert.DoesNotContain(_log.AtLeast(LogEventLevel.Information), line => line.Contains("/events -> ", StringComparison.Ordinal)); // routine: Debug
        Assert.Empty(_log.AtLeast(LogEventLevel.Error));
    }

    /// <summary>A GET whose client is gone before the relay answers; returns once the pipeline, request log included, is done.</summary>
    private static async Task<HttpResponseMessage> GetAsAGoneClientAsync(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(ClientGoneHeader, "1");
        return await http.SendAsync(request);
    }

    public void Dispose() => _relay.Dispose();
}
