"""The library: where finished rips are filed for Plex/Jellyfin (naming), how (filing), and optional transcoding."""
