/**
 * The AUTOMATIC1111 Stable Diffusion web UI as it lays out a disk: {@link
 * org.sdmodel.webui.WebUiLayout} decides its folders as the web UI does (from COMMANDLINE_ARGS as
 * its launcher leaves it), {@link org.sdmodel.webui.WebUiHashCache} records hashes in its
 * {@code cache.json} under the keys it uses, and {@link org.sdmodel.webui.V2Installer} puts an SD
 * 2.x checkpoint and its inference config where it finds them.
 */
package org.sdmodel.webui;
