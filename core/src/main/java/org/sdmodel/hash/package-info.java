/**
 * The hashes a model file is known by: SHA-256 and the web UI's autov1, autov2 and autov3
 * ({@link org.sdmodel.hash.ModelHashes}).
 */
package org.sdmodel.hash;
