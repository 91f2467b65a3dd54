/**
 * Resumable, checked HTTP downloads of model files into a {@code .part} file
 * ({@link org.sdmodel.download.Downloader}), with proxies from the environment; each refusal is a
 * {@link org.sdmodel.download.DownloadException}.
 */
package org.sdmodel.download;
