package org.sdmodel.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An HTTP/1.1 server on 127.0.0.1 for download tests, written on plain sockets so that a test
 * controls every byte: it can announce a Content-Length and close the connection half way,
 * stall in the middle of a body, or answer as a proxy. One request per connection ({@code
 * Connection: close}); every request is recorded. Never reachable from outside the machine.
 */
public final class TestHttpServer implements AutoCloseable {
    /** A request as received: the method, the request target as sent, the headers (names in lower case). */
    public record Request(String method, String target, Map<String, String> headers) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Answers one request by writing to the {@link Response}. */
    @FunctionalInterface
    public interface Handler {
        void handle(Request request, Response response) throws IOException, InterruptedException;
    }

    /** The connection's output: a status line and headers, then body bytes; closing ends the connection. */
    public static final class Response {
        private final OutputStream out;

        Response(OutputStream out) {
            this.out = out;
        }

        /** A whole answer: the status, the headers ("Name: value"), a Content-Length, the body. */
        public void send(int status, byte[] body, String... headers) throws IOException {
            head(status, body.length, headers);
            body(body, 0, body.length);
        }

        /** The status line and headers; {@code contentLength} < 0 sends none (the body ends with the connection). */
        public void head(int status, long contentLength, String... headers) throws IOException {
            StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
            for (String h : headers) {
                sb.append(h).append("\r\n");
            }
            if (contentLength >= 0) {
                sb.append("Content-Length: ").append(contentLength).append("\r\n");
            }
            sb.append("Connection: close\r\n\r\n");
            out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Body bytes {@code [from, to)} of {@code content}. */
        public void body(byte[] content, int from, int to) throws IOException {
            out.write(content, from, to - from);
            out.flush();
        }

        private static String reason(int status) {
            switch (status) {
                case 200: return "OK";
                case 206: return "Partial Content";
                case 302: return "Found";
                case 404: return "Not Found";
                case 407: return "Proxy Authentication Required";
                case 416: return "Range Not Satisfiable";
                case 503: return "Service Unavailable";
                default: return "Status";
            }
        }
    }

    private final ServerSocket socket;
    private final Handler handler;
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

    private TestHttpServer(ServerSocket socket, Handler handler) {
        this.socket = socket;
        this.handler = handler;
    }

    /** Starts a server on a free port of 127.0.0.1. */
    public static TestHttpServer start(Handler handler) throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        TestHttpServer server = new TestHttpServer(s, handler);
        Thread t = new Thread(server::acceptLoop, "test-http-accept");
        t.setDaemon(true);
        server.threads.add(t);
        t.start();
        return server;
    }

    /** A port on 127.0.0.1 where nothing listens (bound, then closed). */
    public static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        }
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** {@code http://127.0.0.1:<port><path>}. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** The requests received so far, in order. */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            Socket c;
            try {
                c = socket.accept();
            } catch (IOException e) {
                return;
            }
            open.add(c);
            Thread t = new Thread(() -> serve(c), "test-http-connection");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void serve(Socket c) {
        try (c) {
            c.setSoTimeout(30_000);
            Request req = readRequest(c.getInputStream());
            if (req == null) {
                return;
            }
            requests.add(req);
            handler.handle(req, new Response(c.getOutputStream()));
        } catch (IOException | InterruptedException | RuntimeException e) {
            // the client went away, or the test closed the server
        } finally {
            open.remove(c);
            threads.remove(Thread.currentThread());
        }
    }

    private static Request readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            if (head.size() > 64 << 10) {
                throw new IOException("request head too long");
            }
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
                    : b == '\r' ? 1 : 0;
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String[] first = lines[0].split(" ");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
        }
        return new Request(first[0], first.length > 1 ? first[1] : "", headers);
    }

    /** Stops accepting, and cuts every open connection (a stalled handler ends). */
    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket c : open) {
            c.close();
        }
        for (Thread t : threads) {
            t.interrupt();
        }
    }
}
