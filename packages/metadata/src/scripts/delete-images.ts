import { IMAGE_KEY_COUNT } from '../keys.js';
import { imageTagsLua } from './image-tags-lua.js';
import { removeImageLua } from './remove-image-lua.js';

/**
 * deleteImages — deleteImage for many images of one repository in one call (lifecycle expiry):
 * each digest in turn, exactly as deleteImage deletes it, and its recorded pull time with it.
 *
 * KEYS[1..11] as putImage (one repository's image keys)   KEYS[12] the repository's pulls hash
 * ARGV[1] '1': refuse an image an index in the repository lists   ARGV[2..] the digests
 *
 * Returns two entries per digest, in ARGV's order: 'DELETED' and the image's tags
 * space-separated ('' for none), or 'NOT_FOUND' / 'REFERENCED' and ''.
 */
export const deleteImages = {
  numberOfKeys: IMAGE_KEY_COUNT + 1,
  lua: `${imageTagsLua}${removeImageLua}
local pulls = KEYS[${IMAGE_KEY_COUNT + 1}]
local reply = {}
for i = 2, #ARGV do
  local digest = ARGV[i]
  local json = redis.call('HGET', KEYS[1], digest)
  if not json then
    reply[#reply + 1] = 'NOT_FOUND'
    reply[#reply + 1] = ''
  elseif ARGV[1] == '1' and listedByAnIndex(digest) then
    reply[#reply + 1] = 'REFERENCED'
    reply[#reply + 1] = ''
  else
    reply[#reply + 1] = 'DELETED'
    reply[#reply + 1] = removeImage(digest, json)
    redis.call('HDEL', pulls, digest)
  end
end
return reply
`,
};
