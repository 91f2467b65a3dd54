package org.sdmodel.download;

/**
 * Hears how a download goes, to draw a progress bar and tell the user what happens. Called on the
 * downloading thread; every method does nothing by default.
 */
public interface DownloadListener {
    /**
     * The body starts arriving (again, after a retry or a restart).
     *
     * @param offset bytes already in the {@code .part}, which the body continues
     * @param total the file's length, or -1 when the server does not say
     */
    default void started(long offset, long total) {
    }

    /**
     * {@code bytes} more bytes were written to the {@code .part}.
     *
     * @param bytes how many bytes
     */
    default void progress(long bytes) {
    }

    /**
     * Something the user should know, as one sentence: an earlier {@code .part} resumed, a retry
     * after a broken connection, a server that ignored the range asked for (downloading again
     * from zero).
     *
     * @param message one line
     */
    default void notice(String message) {
    }

    /** A listener that ignores everything. */
    DownloadListener NONE = new DownloadListener() {
    };
}
