package org.sdmodel.download;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A response body as a blocking stream that gives every byte received before it reports the
 * connection's failure. The JDK's {@code BodyHandlers.ofInputStream()} drops the buffers still
 * queued when the error arrives, so a resumed download would ask again for bytes it had been
 * sent; here the error comes only after them, and a resume starts exactly where the data ended.
 * One list of buffers is requested at a time, so memory stays bounded. {@link #close()} (from any
 * thread) cancels the exchange and wakes a blocked read.
 */
final class BodyStream extends InputStream implements HttpResponse.BodySubscriber<InputStream> {
    private static final List<ByteBuffer> END = List.of();

    /** The handler that makes one for each response. */
    static final HttpResponse.BodyHandler<InputStream> HANDLER = info -> new BodyStream();

    private final BlockingQueue<List<ByteBuffer>> queue = new LinkedBlockingQueue<>();
    private volatile Flow.Subscription subscription;
    private volatile Throwable error;
    private volatile boolean closed;
    private Iterator<ByteBuffer> lists;
    private ByteBuffer current;
    private boolean ended;

    @Override
    public CompletionStage<InputStream> getBody() {
        return CompletableFuture.completedFuture(this);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (closed) {
            s.cancel();
        } else {
            s.request(1);
        }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable t) {
        error = t;
        queue.add(END);
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        while (current == null || !current.hasRemaining()) {
            if (closed) {
                throw new IOException("closed");
            }
            if (lists != null && lists.hasNext()) {
                current = lists.next();
                continue;
            }
            if (ended) {
                return end();
            }
            List<ByteBuffer> next;
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading a response");
            }
            if (closed) {
                throw new IOException("closed");
            }
            if (next == END) {
                ended = true;
                return end();
            }
            lists = next.iterator();
            subscription.request(1);
        }
        int n = Math.min(len, current.remaining());
        current.get(b, off, n);
        return n;
    }

    private int end() throws IOException {
        Throwable t = error;
        if (t == null) {
            return -1;
        }
        throw t instanceof IOException ? new IOException(t.getMessage(), t) : new IOException(t);
    }

    @Override
    public void close() {
        closed = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        queue.add(END);
    }
}
