package org.sdmodel.download;

import java.net.URI;
import java.nio.file.Path;

/**
 * A finished download: the complete {@code .part}, checked (its first bytes are a model file's,
 * its length is the announced one, its sha256 the expected one when one was given). The caller
 * renames it to its final name.
 *
 * @param file the complete {@code .part}
 * @param size its length in bytes
 * @param sha256 its sha256, lower-case hex
 * @param from where the body came from at last (after redirects)
 * @param resumedFrom bytes taken over from an earlier run's {@code .part} (0: downloaded whole)
 * @param retries how many times a failed request was retried
 */
public record DownloadResult(Path file, long size, String sha256, URI from, long resumedFrom, int retries) {
}
