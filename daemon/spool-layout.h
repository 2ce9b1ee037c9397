/* SPDX-License-Identifier: GPL-2.0 */
/* Names inside the spool, shared by podcamd and podcam-upload (docs/spool.md). */
#ifndef PODCAM_SPOOL_LAYOUT_H
#define PODCAM_SPOOL_LAYOUT_H

#define SPOOL_TMP_DIR "tmp"
#define SPOOL_QUEUE_DIR "queue"
#define SPOOL_TRASH_DIR "trash"
#define SPOOL_QUARANTINE_DIR "quarantine"
#define SPOOL_PHOTO_FILE "photo.jpg"
#define SPOOL_META_FILE "meta.json"
#define SPOOL_REASON_FILE "reason"

/* A UUIDv7 as 32 lowercase hex digits. */
#define PHOTO_ID_LEN 32

#endif
