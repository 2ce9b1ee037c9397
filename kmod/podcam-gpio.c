// SPDX-License-Identifier: GPL-2.0
/*
 * podcam: the GPIO chip of a camera.
 *
 * Line 0, "podcam-trigger", is an input with edge interrupts: the doorbell
 * button or the van's "stopped" signal. Its level is set through debugfs
 * (the trigger file), and a change raises a nested threaded interrupt
 * from that write, so gpiolib-cdev (libgpiod, gpiomon) sees an edge event.
 * Line 1, "podcam-flash", drives the flash: it is the value of the
 * V4L2_CID_ILLUMINATORS_1 control, and setting the line sets the control.
 *
 * Two limits of Debian's 6.1 gpiolib shape the lifetime here:
 *
 * - gpiod_free() of a line whose chip is already removed drops neither
 *   the module reference nor the gpio_device reference taken when it was
 *   requested. So when lines are requested at unbind, the chip is not
 *   removed: it is orphaned (cut off from the camera, the flash reads 0)
 *   and removed by a work item once its last line is freed.
 * - gpiochip_remove() disposes of the mappings of a domain it owns even
 *   while an interrupt is requested on them. So the interrupt domain is
 *   ours, handed over with gpiochip_irqchip_add_domain(), and once the
 *   chip is gone it is parked and disposed of at module unload, when no
 *   line request (each holds a module reference) can be left.
 */

#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/kref.h>
#include <linux/kstrtox.h>
#include <linux/slab.h>

#include "podcam.h"

/**
 * struct podcam_irq - interrupt domain of one camera's trigger line
 * @domain: the domain; only the trigger line maps to an interrupt
 * @virq: the trigger line's interrupt
 * @type: edges that raise it (IRQ_TYPE_EDGE_*), set through irq_set_type
 * @parked: entry in podcam_irq_parked once its chip is gone
 */
struct podcam_irq {
	struct irq_domain *domain;
	unsigned int virq;
	unsigned int type;
	struct list_head parked;
};

/**
 * struct podcam_gpio - the GPIO chip of a camera
 * @gc: the chip
 * @label: its label, "podcam-<role>"
 * @ref: one reference held by the camera, one by the registered chip
 * @lock: protects @dev, @requested and @orphaned
 * @dev: the camera; NULL once it is unbound
 * @requested: lines requested
 * @orphaned: the camera is gone; remove the chip when @requested is 0
 * @remove_work: removes an orphaned chip
 * @irq: the trigger line's interrupt domain
 * @trigger_lock: serializes changes of @trigger and their interrupts
 * @trigger: level of the trigger line, read locklessly by the chip
 * @flash_is_out: direction of the flash line
 *
 * Separate from &struct podcam_dev because the chip may outlive it.
 */
struct podcam_gpio {
	struct gpio_chip gc;
	char label[PODCAM_ROLE_MAX + 8];
	struct kref ref;
	struct mutex lock;		/* see above */
	struct podcam_dev *dev;
	unsigned int requested;
	bool orphaned;
	struct work_struct remove_work;
	struct podcam_irq *irq;
	struct mutex trigger_lock;	/* see above */
	bool trigger;
	bool flash_is_out;
};

static LIST_HEAD(podcam_irq_parked);
static DEFINE_MUTEX(podcam_irq_parked_lock);

static const char *const podcam_line_names[PODCAM_NUM_LINES] = {
	[PODCAM_LINE_TRIGGER] = "podcam-trigger",
	[PODCAM_LINE_FLASH] = "podcam-flash",
};

static int podcam_irq_set_type(struct irq_data *d, unsigned int type)
{
	struct podcam_irq *pirq = irq_data_get_irq_chip_data(d);

	if (type & ~IRQ_TYPE_EDGE_BOTH)
		return -EINVAL;
	WRITE_ONCE(pirq->type, type);
	return 0;
}

static const struct irq_chip podcam_irq_chip = {
	.name = PODCAM_NAME,
	.irq_set_type = podcam_irq_set_type,
	.flags = IRQCHIP_SKIP_SET_WAKE,
};

static int podcam_irq_map(struct irq_domain *d, unsigned int virq,
			  irq_hw_number_t hwirq)
{
	if (hwirq != PODCAM_LINE_TRIGGER)
		return -ENXIO;

	irq_set_chip_data(virq, d->host_data);
	irq_set_chip_and_handler(virq, &podcam_irq_chip, handle_simple_irq);
	irq_set_nested_thread(virq, true);
	irq_set_noprobe(virq);
	return 0;
}

static void podcam_irq_unmap(struct irq_domain *d, unsigned int virq)
{
	irq_set_nested_thread(virq, false);
	irq_set_chip_and_handler(virq, NULL, NULL);
	irq_set_chip_data(virq, NULL);
}

static const struct irq_domain_ops podcam_irq_domain_ops = {
	.map = podcam_irq_map,
	.unmap = podcam_irq_unmap,
	.xlate = irq_domain_xlate_twocell,
};

static struct podcam_irq *podcam_irq_alloc(void)
{
	struct podcam_irq *pirq;

	pirq = kzalloc(sizeof(*pirq), GFP_KERNEL);
	if (!pirq)
		return NULL;

	pirq->domain = irq_domain_create_linear(NULL, PODCAM_NUM_LINES,
						&podcam_irq_domain_ops, pirq);
	if (!pirq->domain)
		goto err_free_pirq;

	pirq->virq = irq_create_mapping(pirq->domain, PODCAM_LINE_TRIGGER);
	if (!pirq->virq)
		goto err_remove_domain;
	return pirq;

err_remove_domain:
	irq_domain_remove(pirq->domain);
err_free_pirq:
	kfree(pirq);
	return NULL;
}

/* Module unload: no line is requested any more. */
void podcam_gpio_exit(void)
{
	struct podcam_irq *pirq, *tmp;

	mutex_lock(&podcam_irq_parked_lock);
	list_for_each_entry_safe(pirq, tmp, &podcam_irq_parked, parked) {
		list_del(&pirq->parked);
		irq_dispose_mapping(pirq->virq);
		irq_domain_remove(pirq->domain);
		kfree(pirq);
	}
	mutex_unlock(&podcam_irq_parked_lock);
}

/* Both references are gone, and with them the chip. */
static void podcam_gpio_release(struct kref *ref)
{
	struct podcam_gpio *pg = container_of(ref, struct podcam_gpio, ref);

	mutex_lock(&podcam_irq_parked_lock);
	list_add_tail(&pg->irq->parked, &podcam_irq_parked);
	mutex_unlock(&podcam_irq_parked_lock);
	mutex_destroy(&pg->trigger_lock);
	mutex_destroy(&pg->lock);
	kfree(pg);
}

static void podcam_gpio_remove_work(struct work_struct *work)
{
	struct podcam_gpio *pg = container_of(work, struct podcam_gpio,
					      remove_work);
	bool busy;

	/* Requested again meanwhile: the next free queues this again. */
	mutex_lock(&pg->lock);
	busy = pg->requested;
	mutex_unlock(&pg->lock);
	if (busy)
		return;

	gpiochip_remove(&pg->gc);
	kref_put(&pg->ref, podcam_gpio_release);
}

static int podcam_gpio_request(struct gpio_chip *gc, unsigned int offset)
{
	struct podcam_gpio *pg = gpiochip_get_data(gc);

	mutex_lock(&pg->lock);
	pg->requested++;
	mutex_unlock(&pg->lock);
	return 0;
}

static void podcam_gpio_free(struct gpio_chip *gc, unsigned int offset)
{
	struct podcam_gpio *pg = gpiochip_get_data(gc);

	mutex_lock(&pg->lock);
	if (!--pg->requested && pg->orphaned)
		queue_work(podcam_wq, &pg->remove_work);
	mutex_unlock(&pg->lock);
}

static int podcam_gpio_get_direction(struct gpio_chip *gc,
				     unsigned int offset)
{
	struct podcam_gpio *pg = gpiochip_get_data(gc);

	if (offset == PODCAM_LINE_FLASH && READ_ONCE(pg->flash_is_out))
		return GPIO_LINE_DIRECTION_OUT;
	return GPIO_LINE_DIRECTION_IN;
}

/*
 * The flash line may be read back as an input (gpioget does that); the
 * flash then still follows the control, only the line no longer drives it.
 */
static int podcam_gpio_direction_input(struct gpio_chip *gc,
				       unsigned int offset)
{
	struct podcam_gpio *pg = gpiochip_get_data(gc);

	if (offset == PODCAM_LINE_FLASH)
		WRITE_ONCE(pg->flash_is_out, false);
	return 0;
}

static void podcam_gpio_set_flash(struct podcam_gpio *pg, int value)
{
	mutex_lock(&pg->lock);
	if (pg->dev)
		podcam_video_set_flash(pg->dev, value);
	mutex_unlock(&pg->lock);
}

/* The trigger is a button or a sensor output: it cannot be driven. */
static int podcam_gpio_direction_output(struct gpio_chip *gc,
					unsigned int offset, int value)
{
	struct podcam_gpio *pg = gpiochip_get_data(gc);

	if (offset != PODCAM_LINE_FLASH)
		return -EPERM;

	WRITE_ONCE(pg->flash_is_out, true);
	podcam_gpio_set_flash(pg, value);
	return 0;
}

static int podcam_gpio_get(struct gpio_chip *gc, unsigned int offset)
{
	struct podcam_gpio *pg = gpiochip_get_data(gc);
	int value;

	if (offset == PODCAM_LINE_TRIGGER)
		return READ_ONCE(pg->trigger);

	mutex_lock(&pg->lock);
	value = pg->dev ? READ_ONCE(pg->dev->flash) : 0;
	mutex_unlock(&pg->lock);
	return value;
}

static void podcam_gpio_set(struct gpio_chip *gc, unsigned int offset,
			    int value)
{
	struct podcam_gpio *pg = gpiochip_get_data(gc);

	if (offset == PODCAM_LINE_FLASH)
		podcam_gpio_set_flash(pg, value);
}

/* The camera's GPIO state and interrupt domain, before the chip. */
int podcam_gpio_alloc(struct podcam_dev *dev)
{
	struct podcam_gpio *pg;

	pg = kzalloc(sizeof(*pg), GFP_KERNEL);
	if (!pg)
		return -ENOMEM;

	pg->irq = podcam_irq_alloc();
	if (!pg->irq) {
		kfree(pg);
		return -ENOMEM;
	}
	kref_init(&pg->ref);
	mutex_init(&pg->lock);
	mutex_init(&pg->trigger_lock);
	INIT_WORK(&pg->remove_work, podcam_gpio_remove_work);
	pg->dev = dev;
	pg->flash_is_out = true;
	snprintf(pg->label, sizeof(pg->label), "podcam-%s", dev->role);
	dev->gpio = pg;
	return 0;
}

/* Drops the camera's reference. */
void podcam_gpio_put(struct podcam_dev *dev)
{
	kref_put(&dev->gpio->ref, podcam_gpio_release);
	dev->gpio = NULL;
}

int podcam_gpio_add(struct podcam_dev *dev)
{
	struct podcam_gpio *pg = dev->gpio;
	struct gpio_chip *gc = &pg->gc;
	int ret;

	gc->label = pg->label;
	gc->parent = &dev->pdev->dev;
	gc->owner = THIS_MODULE;
	gc->base = -1;
	gc->ngpio = PODCAM_NUM_LINES;
	gc->names = podcam_line_names;
	/* Setting the flash line takes the control handler's mutex. */
	gc->can_sleep = true;
	gc->request = podcam_gpio_request;
	gc->free = podcam_gpio_free;
	gc->get_direction = podcam_gpio_get_direction;
	gc->direction_input = podcam_gpio_direction_input;
	gc->direction_output = podcam_gpio_direction_output;
	gc->get = podcam_gpio_get;
	gc->set = podcam_gpio_set;

	ret = gpiochip_add_data(gc, pg);
	if (ret)
		return ret;

	ret = gpiochip_irqchip_add_domain(gc, pg->irq->domain);
	if (ret)
		goto err_remove_chip;

	kref_get(&pg->ref);
	return 0;

err_remove_chip:
	gpiochip_remove(gc);
	return ret;
}

/*
 * Cuts the chip off from the camera, and removes it now if no line is
 * requested, or else when the last one is freed.
 */
void podcam_gpio_remove(struct podcam_dev *dev)
{
	struct podcam_gpio *pg = dev->gpio;
	bool busy;

	mutex_lock(&pg->lock);
	pg->dev = NULL;
	busy = pg->requested;
	pg->orphaned = busy;
	mutex_unlock(&pg->lock);

	if (busy) {
		dev_info(&dev->pdev->dev,
			 "GPIO chip %s stays until its lines are released\n",
			 pg->label);
		return;
	}
	gpiochip_remove(&pg->gc);
	kref_put(&pg->ref, podcam_gpio_release);
}

/*
 * Sets the trigger level and raises the interrupt for the edge. The
 * interrupt's thread handler runs here, in process context, and reads the
 * level back through podcam_gpio_get(), which therefore takes no lock.
 */
static void podcam_gpio_set_trigger(struct podcam_gpio *pg, bool level)
{
	unsigned int edge = level ? IRQ_TYPE_EDGE_RISING :
				    IRQ_TYPE_EDGE_FALLING;

	mutex_lock(&pg->trigger_lock);
	if (level != pg->trigger) {
		WRITE_ONCE(pg->trigger, level);
		if (READ_ONCE(pg->irq->type) & edge)
			handle_nested_irq(pg->irq->virq);
	}
	mutex_unlock(&pg->trigger_lock);
}

static ssize_t podcam_trigger_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct podcam_dev *dev = file->private_data;
	char buf[2] = { READ_ONCE(dev->gpio->trigger) ? '1' : '0', '\n' };

	return simple_read_from_buffer(ubuf, count, ppos, buf, sizeof(buf));
}

static ssize_t podcam_trigger_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	struct podcam_dev *dev = file->private_data;
	bool level;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &level);
	if (ret)
		return ret;

	podcam_gpio_set_trigger(dev->gpio, level);
	return count;
}

const struct file_operations podcam_trigger_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = podcam_trigger_read,
	.write = podcam_trigger_write,
	.llseek = default_llseek,
};
